package provider

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

var placementAttrTypes = map[string]attr.Type{
	"destination":      types.StringType,
	"pipeline":         types.StringType,
	"path":             types.StringType,
	"filepath_mode":    types.StringType,
	"state_store_kind": types.StringType,
	"state_store_name": types.StringType,
	"misplaced":        types.BoolType,
}

var placementObjectType = types.ObjectType{AttrTypes: placementAttrTypes}

const placementsDescription = "Where Kratix put the work: one entry per workload group and Destination it was " +
	"scheduled to, from Kratix's WorkPlacements, sorted by Destination. Each has `destination`; `pipeline`, the " +
	"pipeline that wrote it; `path`, where the files are in the state store, from its root (the store's path, the " +
	"Destination's path, then `resources/<namespace>/<promise>/<request>/<pipeline>/<id>` for a request's work or " +
	"`dependencies/<promise>/<pipeline>/<id>` for a Promise's, with the default `filepath_mode` `nestedByMetadata`; " +
	"the aggregated file with `aggregatedYAML`; the Destination's own directory with `none`); `filepath_mode`; " +
	"`state_store_kind` and `state_store_name`, the Destination's store; and `misplaced`, true when the " +
	"Destination no longer matches the work's selectors (Kratix leaves the files in place). `path` and the store " +
	"are empty when the Destination no longer exists. Empty until Kratix has scheduled the work, and null when the " +
	"credentials may not list Works and WorkPlacements (the plan then warns)."

// placementsResourceAttribute is the `placements` attribute of a resource:
// read after apply and on every refresh.
func placementsResourceAttribute(when string) rschema.ListAttribute {
	return rschema.ListAttribute{Computed: true, ElementType: placementObjectType,
		MarkdownDescription: placementsDescription + " " + when}
}

func placementsDataSourceAttribute() dschema.ListAttribute {
	return dschema.ListAttribute{Computed: true, ElementType: placementObjectType, MarkdownDescription: placementsDescription}
}

func placementsValue(placements []kratix.Placement) types.List {
	elems := make([]attr.Value, 0, len(placements))
	for _, p := range placements {
		elems = append(elems, types.ObjectValueMust(placementAttrTypes, map[string]attr.Value{
			"destination":      types.StringValue(p.Destination),
			"pipeline":         types.StringValue(p.Pipeline),
			"path":             types.StringValue(p.Path),
			"filepath_mode":    types.StringValue(p.FilepathMode),
			"state_store_kind": types.StringValue(p.StateStoreKind),
			"state_store_name": types.StringValue(p.StateStoreName),
			"misplaced":        types.BoolValue(p.Misplaced),
		}))
	}
	return types.ListValueMust(placementObjectType, elems)
}

// requestWorkSelector picks the Works of the request obj. Kratix labels a
// request with its Promise; until it has, the Promise the configuration
// names stands in.
func requestWorkSelector(obj *unstructured.Unstructured, promise types.String) kratix.WorkSelector {
	name := obj.GetLabels()[kratix.LabelPromiseName]
	if name == "" {
		name = promise.ValueString()
	}
	return kratix.WorkSelector{Promise: name, Namespace: obj.GetNamespace(), Request: obj.GetName()}
}

// placementsNow reads where the work is now, for the state an apply
// records or a data source: only the selected Works and what they point at.
// A failed read warns and leaves placements null; the apply or read itself
// succeeded.
func placementsNow(ctx context.Context, data *providerData, sel kratix.WorkSelector, diags *diag.Diagnostics) types.List {
	src, err := readPlacementSources(ctx, data.Client, &sel)
	if err != nil {
		warnPlacementsUnread(ctx, data, diags, err)
		return types.ListNull(placementObjectType)
	}
	return placementsValue(src.Placements(sel))
}

// recordPlacements sets placements in the state an apply records.
func recordPlacements(ctx context.Context, data *providerData, sel kratix.WorkSelector, state *tfsdk.State, diags *diag.Diagnostics) {
	diags.Append(state.SetAttribute(ctx, path.Root("placements"), placementsNow(ctx, data, sel, diags))...)
}

// placementsOnRefresh answers from one read of every Work and WorkPlacement
// shared by the whole refresh (see placementSnapshot), so a refresh of many
// requests and Promises costs a fixed number of lists, not some per
// resource. When it cannot be read, prior stays: a refresh never forgets
// what it cannot check.
func placementsOnRefresh(ctx context.Context, data *providerData, sel kratix.WorkSelector, prior types.List, diags *diag.Diagnostics) types.List {
	index, err := data.placements.index(ctx, data.Client)
	if err != nil {
		warnPlacementsUnread(ctx, data, diags, err)
		if prior.IsUnknown() {
			return types.ListNull(placementObjectType)
		}
		return prior
	}
	return placementsValue(index.Placements(sel))
}

func warnPlacementsUnread(ctx context.Context, data *providerData, diags *diag.Diagnostics, err error) {
	tflog.Warn(ctx, "cannot read where Kratix placed the work", map[string]any{"error": err.Error()})
	if ctx.Err() != nil {
		return
	}
	detail := err.Error()
	if kube.IsForbidden(err) {
		detail += "\n\nGrant the provider's credentials list on works and workplacements (platform.kratix.io) and get " +
			"and list on destinations, gitstatestores and bucketstatestores to see where the work went."
	}
	data.warnOnce(diags, "Cannot read where Kratix placed the work", "The `placements` attributes are not refreshed: "+detail)
}

// placementSnapshotAge bounds how old the shared read may be. A provider
// process serves one plan or apply, but a refresh of hundreds of objects
// can take minutes: a snapshot older than this is read again.
const placementSnapshotAge = 30 * time.Second

// placementSnapshot is one read of every Work, WorkPlacement, Destination and
// state store, shared by the refreshes of one provider process and indexed
// once for all of them. Callers that arrive while it is being read wait for
// that read.
type placementSnapshot struct {
	mu    sync.Mutex
	taken time.Time
	idx   *kratix.PlacementIndex
	err   error
}

func (s *placementSnapshot) index(ctx context.Context, c *kube.Client) (*kratix.PlacementIndex, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.taken.IsZero() && time.Since(s.taken) < placementSnapshotAge {
		return s.idx, s.err
	}
	src, err := readPlacementSources(ctx, c, nil)
	if err != nil && ctx.Err() != nil {
		return nil, err // this caller's deadline, not an answer to share
	}
	s.taken, s.idx, s.err = time.Now(), src.Index(), err
	return s.idx, err
}

// readPlacementSources lists what placements are worked out from. With a
// selector it reads the selected Works only (filtered by label at the API
// server, in every namespace, since a Promise's pipelineNamespace holds
// its requests' Works) and the WorkPlacements of those; nil reads all.
// Works and WorkPlacements are read as metadata only.
func readPlacementSources(ctx context.Context, c *kube.Client, sel *kratix.WorkSelector) (kratix.PlacementSources, error) {
	var src kratix.PlacementSources
	workOpts := metav1.ListOptions{}
	if sel != nil {
		workOpts.LabelSelector = sel.LabelSelector().String()
	}
	works, err := c.ListMetadata(ctx, kratix.WorkGVK, "", workOpts)
	if err != nil {
		return src, err
	}
	src.Works = works.Items
	if sel != nil && !slices.ContainsFunc(src.Works, sel.Matches) {
		return src, nil
	}
	placementOpts, err := workPlacementOptions(src.Works, sel)
	if err != nil {
		return src, err
	}
	placements, err := c.ListMetadata(ctx, kratix.WorkPlacementGVK, "", placementOpts)
	if err != nil {
		return src, err
	}
	src.WorkPlacements = placements.Items
	if len(src.WorkPlacements) == 0 {
		return src, nil
	}
	src.Destinations, err = listAll(ctx, c, kratix.DestinationGVK)
	if err != nil {
		return src, err
	}
	for _, gvk := range []schema.GroupVersionKind{kratix.GitStateStoreGVK, kratix.BucketStateStoreGVK} {
		if !referencesStoreKind(src.Destinations, gvk.Kind) {
			continue
		}
		stores, err := listAll(ctx, c, gvk)
		if err != nil {
			return src, err
		}
		src.StateStores = append(src.StateStores, stores...)
	}
	return src, nil
}

// workPlacementOptions selects the WorkPlacements of the selected Works by
// their kratix.io/work label; all of them without a selector.
func workPlacementOptions(works []metav1.PartialObjectMetadata, sel *kratix.WorkSelector) (metav1.ListOptions, error) {
	if sel == nil {
		return metav1.ListOptions{}, nil
	}
	var names []string
	for _, w := range works {
		if sel.Matches(w) && !slices.Contains(names, w.Name) {
			names = append(names, w.Name)
		}
	}
	req, err := labels.NewRequirement(kratix.LabelWork, selection.In, names)
	if err != nil {
		return metav1.ListOptions{}, errors.New("selecting the WorkPlacements of Works " + err.Error())
	}
	return metav1.ListOptions{LabelSelector: labels.NewSelector().Add(*req).String()}, nil
}

func referencesStoreKind(destinations []unstructured.Unstructured, kind string) bool {
	return slices.ContainsFunc(destinations, func(d unstructured.Unstructured) bool {
		k, _, _ := unstructured.NestedString(d.Object, "spec", "stateStoreRef", "kind")
		return k == kind
	})
}

func listAll(ctx context.Context, c *kube.Client, gvk schema.GroupVersionKind) ([]unstructured.Unstructured, error) {
	list, err := c.List(ctx, gvk, "", metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}
