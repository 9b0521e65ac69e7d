package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// ValidateConfig checks what needs no cluster: a filename only makes sense
// with the aggregatedYAML layout.
func (r *destinationResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var mode, filename types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("filepath_mode"), &mode)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("filepath_filename"), &filename)...)
	if resp.Diagnostics.HasError() || filename.IsNull() || mode.IsUnknown() {
		return
	}
	effective := mode.ValueString()
	if mode.IsNull() {
		effective = kratix.DefaultFilepathMode
	}
	if effective != kratix.FilepathAggregatedYAML {
		resp.Diagnostics.AddAttributeError(path.Root("filepath_filename"), "filepath_filename needs aggregatedYAML",
			fmt.Sprintf("filepath_filename names the single file Kratix writes with filepath_mode = %q; with filepath_mode = %q "+
				"Kratix does not use it. Set filepath_mode = %q or remove filepath_filename.",
				kratix.FilepathAggregatedYAML, effective, kratix.FilepathAggregatedYAML))
	}
}

// destinationPathCheckTimeout bounds the plan-time listing, so an
// unreachable platform costs a plan seconds, not the client's retries.
const destinationPathCheckTimeout = 5 * time.Second

// ModifyPlan refuses, when the platform is readable at plan time, a path
// that another Destination on the same state store already uses: Kratix's
// webhook would refuse it at apply time. With the provider configuration
// unknown, or the platform unreadable, the check is skipped.
func (r *destinationResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil || !r.data.ConfigKnown {
		return
	}
	var plan destinationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || plan.Name.IsUnknown() || plan.Path.IsUnknown() {
		return
	}
	ref, err := stateStoreRefFrom(plan.StateStore)
	if err != nil {
		return
	}
	if !req.State.Raw.IsNull() {
		var prior destinationModel
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
		priorRef, _ := stateStoreRefFrom(prior.StateStore)
		if priorRef == ref && kratix.NormaliseDestinationPath(prior.Path.ValueString()) == kratix.NormaliseDestinationPath(plan.Path.ValueString()) {
			return // unchanged: never block a plan over a conflict this change did not create
		}
	}
	listCtx, cancel := context.WithTimeout(ctx, destinationPathCheckTimeout)
	defer cancel()
	list, err := r.data.Client.List(listCtx, kratix.DestinationGVK, "", metav1.ListOptions{})
	if err != nil {
		tflog.Debug(ctx, "destination path uniqueness not checked at plan time: cannot list Destinations", map[string]any{"error": err.Error()})
		return
	}
	others := make([]*unstructured.Unstructured, 0, len(list.Items))
	for i := range list.Items {
		others = append(others, &list.Items[i])
	}
	if other := kratix.DestinationPathConflict(plan.Name.ValueString(), plan.Path.ValueString(), ref, others); other != "" {
		var found diag.Diagnostics
		found.AddAttributeError(path.Root("path"), "Destination path already in use",
			fmt.Sprintf("The Destination %q already writes to path %q of %s. Kratix requires each Destination on a state "+
				"store to have its own path (its webhook refuses the Destination otherwise). Choose another path, or "+
				"another state store.", other, plan.Path.ValueString(), ref))
		if req.State.Raw.IsNull() {
			found = createRefusalsAsWarnings(found)
		}
		resp.Diagnostics.Append(found...)
	}
}

// aggregatedFilenameDefault plans filepath_filename as Kratix's webhook
// defaults it: aggregated.yaml with aggregatedYAML, nothing otherwise.
type aggregatedFilenameDefault struct{}

func (aggregatedFilenameDefault) Description(context.Context) string {
	return "defaults to aggregated.yaml with filepath_mode aggregatedYAML"
}

func (d aggregatedFilenameDefault) MarkdownDescription(ctx context.Context) string {
	return d.Description(ctx)
}

func (aggregatedFilenameDefault) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.ConfigValue.IsNull() {
		return
	}
	var mode types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("filepath_mode"), &mode)...)
	switch {
	case mode.IsUnknown():
		resp.PlanValue = types.StringUnknown()
	case mode.ValueString() == kratix.FilepathAggregatedYAML:
		resp.PlanValue = types.StringValue(kratix.DefaultAggregatedFilename)
	default:
		resp.PlanValue = types.StringNull()
	}
}
