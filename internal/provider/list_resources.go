package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// List resources (Terraform 1.14 and later) find the objects of a kind in
// the cluster, so that `terraform query -generate-config-out` writes an
// import block and a resource block for each. A listed object's resource
// value is what an import of it reads, without the arguments that equal
// their defaults, so the generated block holds only what its owners set.

// listFilter is the list block's configuration.
type listFilter struct {
	Labels    map[string]string
	Promise   string
	Namespace string
	// PromiseVersion keeps the requests that run this Promise version.
	PromiseVersion string
}

// keepsRequest says whether a listed request passes the filters the API
// server cannot apply (its labels and namespace it does).
func (f listFilter) keepsRequest(obj *unstructured.Unstructured) bool {
	return f.PromiseVersion == "" || kratix.RequestVersion(obj) == f.PromiseVersion
}

func (f listFilter) options() metav1.ListOptions {
	return metav1.ListOptions{LabelSelector: labels.SelectorFromSet(f.Labels).String()}
}

// listedKind is how one resource type is listed.
type listedKind struct {
	typeName    string
	newResource func() resource.Resource
	identity    []string
	description string
	// requestFilters adds the promise and namespace filters of requests.
	requestFilters bool
	// objects hands the matching objects to out as it reads them, each
	// with the state an import of it would read and its display name, and
	// stops reading when out says the query has enough.
	objects func(ctx context.Context, data *providerData, f listFilter, out *listStream) error
}

type listedObject struct {
	displayName string
	state       any
}

type kratixListResource struct {
	kind listedKind
	data *providerData
}

var (
	_ list.ListResource              = (*kratixListResource)(nil)
	_ list.ListResourceWithConfigure = (*kratixListResource)(nil)
)

func (l *kratixListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = l.kind.typeName
}

func (l *kratixListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (l *kratixListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	attrs := map[string]listschema.Attribute{
		"labels": listschema.MapAttribute{ElementType: types.StringType, Optional: true,
			MarkdownDescription: "Only objects that carry all of these labels. Default: no label filter.",
			Validators:          []validator.Map{metadataKeysValidator{labelValues: true}}},
	}
	if l.kind.requestFilters {
		attrs["promise"] = listschema.StringAttribute{Optional: true, Validators: []validator.String{dnsSubdomain()},
			MarkdownDescription: "Only requests of this Promise. Default: the requests of every Promise."}
		attrs["namespace"] = listschema.StringAttribute{Optional: true, Validators: []validator.String{dnsLabel()},
			MarkdownDescription: "Only requests in this namespace. Default: every namespace."}
		attrs["promise_version"] = listschema.StringAttribute{Optional: true,
			MarkdownDescription: "Only requests that run this Promise version, as Kratix reports it (`status.promiseVersion`; " +
				"Kratix releases of 2026 on): for example the requests a rollout has not moved to the new version yet. " +
				"With an earlier Kratix no request reports a version, so none is listed. Default: every version."}
	}
	resp.Schema = listschema.Schema{MarkdownDescription: l.kind.description, Attributes: attrs}
}

func (l *kratixListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var diags diag.Diagnostics
	f := readListFilter(ctx, req.Config, l.kind.requestFilters, &diags)
	if diags.HasError() || !requireKnownConfig(l.data, &diags) {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	defaultsOf := attributeDefaults(ctx, l.kind.newResource())
	// The objects are read as Terraform takes them, a page at a time, so a
	// query with a limit reads little more than the limit.
	stream.Results = func(push func(list.ListResult) bool) {
		out := &listStream{push: push, limit: req.Limit, result: func(obj listedObject) list.ListResult {
			return l.result(ctx, req, obj, defaultsOf)
		}}
		err := l.kind.objects(ctx, l.data, f, out)
		if err != nil && !out.stopped {
			var d diag.Diagnostics
			d.AddError("Cannot list "+l.kind.typeName+" objects", err.Error())
			push(list.ListResult{Diagnostics: d})
		}
		tflog.Debug(ctx, "list resource done", map[string]any{"type": l.kind.typeName, "results": out.sent, "limit": req.Limit})
	}
}

// listStream hands listed objects to Terraform and says when to stop
// reading: Terraform wants no more, or the query's limit is reached.
type listStream struct {
	push    func(list.ListResult) bool
	result  func(listedObject) list.ListResult
	limit   int64 // 0: no limit
	sent    int64
	stopped bool
}

// object sends one object; false means stop reading.
func (s *listStream) object(obj listedObject) bool {
	if s.stopped {
		return false
	}
	if !s.push(s.result(obj)) {
		s.stopped = true
		return false
	}
	s.sent++
	s.stopped = s.limit > 0 && s.sent >= s.limit
	return !s.stopped
}

// warning sends a diagnostic that leaves the listing going; false means
// stop reading.
func (s *listStream) warning(summary, detail string) bool {
	if s.stopped {
		return false
	}
	var d diag.Diagnostics
	d.AddWarning(summary, detail)
	s.stopped = !s.push(list.ListResult{Diagnostics: d})
	return !s.stopped
}

// pageSize is the page to ask for: no more than the query still needs.
func (s *listStream) pageSize() int64 {
	if s.limit > 0 {
		return min(kube.ListPageSize, s.limit-s.sent)
	}
	return kube.ListPageSize
}

func (l *kratixListResource) result(ctx context.Context, req list.ListRequest, obj listedObject, defaultsOf map[string]attr.Value) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = obj.displayName
	result.Diagnostics.Append(result.Resource.Set(ctx, obj.state)...)
	if result.Diagnostics.HasError() {
		return result
	}
	state := tfsdk.State{Schema: req.ResourceSchema, Raw: result.Resource.Raw}
	recordIdentity(ctx, &state, result.Identity, &result.Diagnostics, l.kind.identity)
	if !req.IncludeResource {
		result.Resource = nil
		return result
	}
	for name, def := range defaultsOf {
		dropIfDefault(ctx, result.Resource, name, def, &result.Diagnostics)
	}
	return result
}

// dropIfDefault sets a top-level argument to null when it holds its
// default, which is what the argument reads as when left out.
func dropIfDefault(ctx context.Context, r *tfsdk.Resource, name string, def attr.Value, diags *diag.Diagnostics) {
	var value attr.Value
	switch def.(type) {
	case types.Bool:
		var v types.Bool
		diags.Append(r.GetAttribute(ctx, path.Root(name), &v)...)
		value = v
	case types.String:
		var v types.String
		diags.Append(r.GetAttribute(ctx, path.Root(name), &v)...)
		value = v
	default:
		return
	}
	if value.Equal(def) {
		diags.Append(r.SetAttribute(ctx, path.Root(name), def.Type(ctx).ValueType(ctx))...)
	}
}

// attributeDefaults is each top-level argument's static default.
func attributeDefaults(ctx context.Context, r resource.Resource) map[string]attr.Value {
	var resp resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &resp)
	out := map[string]attr.Value{}
	for name, a := range resp.Schema.Attributes {
		switch a := a.(type) {
		case schema.BoolAttribute:
			if a.Default != nil {
				var d defaults.BoolResponse
				a.Default.DefaultBool(ctx, defaults.BoolRequest{}, &d)
				out[name] = d.PlanValue
			}
		case schema.StringAttribute:
			if a.Default != nil {
				var d defaults.StringResponse
				a.Default.DefaultString(ctx, defaults.StringRequest{}, &d)
				out[name] = d.PlanValue
			}
		}
	}
	return out
}

func readListFilter(ctx context.Context, cfg tfsdk.Config, requests bool, diags *diag.Diagnostics) listFilter {
	var f listFilter
	var lbls types.Map
	diags.Append(cfg.GetAttribute(ctx, path.Root("labels"), &lbls)...)
	if !lbls.IsNull() && !lbls.IsUnknown() {
		diags.Append(lbls.ElementsAs(ctx, &f.Labels, false)...)
	}
	if requests {
		var promise, namespace, version types.String
		diags.Append(cfg.GetAttribute(ctx, path.Root("promise"), &promise)...)
		diags.Append(cfg.GetAttribute(ctx, path.Root("namespace"), &namespace)...)
		diags.Append(cfg.GetAttribute(ctx, path.Root("promise_version"), &version)...)
		f.Promise, f.Namespace, f.PromiseVersion = promise.ValueString(), namespace.ValueString(), version.ValueString()
	}
	return f
}

// listCluster lists a cluster-scoped kind, each object with the state an
// import reads. The API server returns objects sorted by name (its storage
// keys), so the results come sorted without reading them all first.
func listCluster(gvk k8sschema.GroupVersionKind, imported func(ctx context.Context, data *providerData, obj *unstructured.Unstructured) any) func(context.Context, *providerData, listFilter, *listStream) error {
	return func(ctx context.Context, data *providerData, f listFilter, out *listStream) error {
		opts := f.options()
		opts.Limit = out.pageSize()
		return data.Client.ListPages(ctx, gvk, "", opts, func(items []unstructured.Unstructured) bool {
			for i := range items {
				obj := &items[i]
				if !out.object(listedObject{displayName: obj.GetName(), state: imported(ctx, data, obj)}) {
					return false
				}
			}
			return true
		})
	}
}

// listRequests lists the requests of one Promise, or of every Promise,
// in the order of Promise, namespace and name. A Promise whose requests
// cannot be listed is reported and skipped, so one Promise of many (an API
// not served yet, a kind the provider may not list) does not hide the
// others' requests; only when the query names that Promise is it an error.
func listRequests(ctx context.Context, data *providerData, f listFilter, out *listStream) error {
	if f.Promise != "" {
		p, err := data.Client.Get(ctx, kratix.PromiseGVK, "", f.Promise)
		if err != nil {
			return err
		}
		return promiseRequests(ctx, data, p, f, out)
	}
	var skipped error
	err := data.Client.ListPages(ctx, kratix.PromiseGVK, "", metav1.ListOptions{}, func(promises []unstructured.Unstructured) bool {
		for i := range promises {
			err := promiseRequests(ctx, data, &promises[i], f, out)
			switch {
			case out.stopped:
				return false
			case err == nil:
			case ctx.Err() != nil:
				skipped = err
				return false
			default:
				if !out.warning(unlistedPromise(&promises[i], err)) {
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return skipped
}

// unlistedPromise is the warning for a Promise whose requests cannot be
// listed: which Promise and kind, why, and what would let them be listed.
func unlistedPromise(promise *unstructured.Unstructured, err error) (string, string) {
	apiVersion, kind, _ := kratix.PromiseAPI(promise)
	todo := "Run the query again once the cause is fixed."
	switch {
	case kube.IsForbidden(err):
		todo = "To include them, grant the provider's identity list on that resource (see above), then run the query again."
	case kube.IsKindNotServed(err):
		todo = fmt.Sprintf("The Promise's API is not served: wait until Promise %q is Available (kubectl get promise %s), then run the query again.",
			promise.GetName(), promise.GetName())
	}
	return fmt.Sprintf("Requests of Promise %q not listed", promise.GetName()),
		fmt.Sprintf("The requests of Promise %q (kind %s, %s) could not be listed, so the results leave them out; "+
			"the other Promises' requests are listed.\n\n%v\n\n%s", promise.GetName(), kind, apiVersion, err, todo)
}

// promiseRequests lists one Promise's requests, in the order of namespace
// and name, which is the API server's.
func promiseRequests(ctx context.Context, data *providerData, promise *unstructured.Unstructured, f listFilter, out *listStream) error {
	apiVersion, kind, published := kratix.PromiseAPI(promise)
	if kind == "" {
		return nil
	}
	opts := f.options()
	opts.Limit = out.pageSize()
	r := &resourceRequestResource{data: data}
	err := data.Client.ListPages(ctx, k8sschema.FromAPIVersionAndKind(apiVersion, kind), f.Namespace, opts, func(items []unstructured.Unstructured) bool {
		for i := range items {
			if !f.keepsRequest(&items[i]) {
				continue
			}
			if !out.object(listedRequest(ctx, r, promise.GetName(), &items[i])) {
				return false
			}
		}
		return true
	})
	if !published && kube.IsKindNotServed(err) {
		return nil
	}
	return err
}

// listedRequest is one request as an import of it reads it.
func listedRequest(ctx context.Context, r *resourceRequestResource, promise string, obj *unstructured.Unstructured) listedObject {
	id := requestIdentity{Promise: promise, Namespace: obj.GetNamespace(), Name: obj.GetName()}
	rawID := strings.Join([]string{id.Promise, id.Namespace, id.Name}, "/")
	state := importedRequestState(rawID, id)
	r.fillFromObject(ctx, &state, obj)
	// Named by its Promise, a request's configuration leaves out
	// api_version and kind (setting both is refused).
	state.APIVersion, state.Kind = types.StringNull(), types.StringNull()
	// Left unset, the adopted request keeps whatever its ResourceBinding
	// says; set, the first apply would pin a request that follows the
	// latest version.
	state.PromiseVersion = types.StringNull()
	return listedObject{displayName: rawID, state: &state}
}

func listedKinds() []listedKind {
	return []listedKind{
		{
			typeName: "kratix_promise", newResource: NewPromiseResource, identity: nameIdentityAttrs,
			description: "Lists the Promises of the cluster, optionally those with given labels.",
			objects: listCluster(kratix.PromiseGVK, func(ctx context.Context, data *providerData, obj *unstructured.Unstructured) any {
				state := emptyPromiseState(obj.GetName())
				(&promiseResource{data: data}).fillFromObject(ctx, &state, obj)
				return &state
			}),
		},
		{
			typeName: "kratix_resource_request", newResource: NewResourceRequestResource, identity: requestIdentityAttrs,
			description:    "Lists resource requests: of one Promise or of all, in one namespace or in all, optionally those with given labels or running a given Promise version.",
			requestFilters: true, objects: listRequests,
		},
		{
			typeName: "kratix_promise_release", newResource: NewPromiseReleaseResource, identity: nameIdentityAttrs,
			description: "Lists the PromiseReleases of the cluster, optionally those with given labels.",
			objects: listCluster(kratix.PromiseReleaseGVK, func(ctx context.Context, data *providerData, obj *unstructured.Unstructured) any {
				state := emptyReleaseState(obj.GetName())
				// The Promise only fills in `promise`; without it the
				// release is still listed.
				promises, err := (&promiseReleaseResource{data: data}).releasePromises(ctx, obj.GetName())
				if err != nil {
					tflog.Debug(ctx, "cannot read the Promise of a listed PromiseRelease", map[string]any{"name": obj.GetName(), "error": err.Error()})
				}
				fillReleaseFromObject(&state, obj, promises)
				return &state
			}),
		},
		{
			typeName: "kratix_destination", newResource: NewDestinationResource, identity: nameIdentityAttrs,
			description: "Lists the Destinations of the cluster, optionally those with given labels.",
			objects: listCluster(kratix.DestinationGVK, func(_ context.Context, data *providerData, obj *unstructured.Unstructured) any {
				state := importedDestinationState(obj.GetName())
				(&destinationResource{data: data}).fillFromObject(&state, obj)
				return &state
			}),
		},
		{
			typeName: "kratix_git_state_store", newResource: NewGitStateStoreResource, identity: nameIdentityAttrs,
			description: "Lists the GitStateStores of the cluster, optionally those with given labels.",
			objects: listCluster(kratix.GitStateStoreGVK, func(_ context.Context, data *providerData, obj *unstructured.Unstructured) any {
				state := importedGitStoreState(obj.GetName())
				(&gitStateStoreResource{data: data}).fillFromObject(&state, obj)
				return &state
			}),
		},
		{
			typeName: "kratix_bucket_state_store", newResource: NewBucketStateStoreResource, identity: nameIdentityAttrs,
			description: "Lists the BucketStateStores of the cluster, optionally those with given labels.",
			objects: listCluster(kratix.BucketStateStoreGVK, func(_ context.Context, data *providerData, obj *unstructured.Unstructured) any {
				state := importedBucketStoreState(obj.GetName())
				(&bucketStateStoreResource{data: data}).fillFromObject(&state, obj)
				return &state
			}),
		},
	}
}

// listResources are the provider's list resources, one per resource type.
func listResources() []func() list.ListResource {
	var out []func() list.ListResource
	for _, k := range listedKinds() {
		out = append(out, func() list.ListResource { return &kratixListResource{kind: k} })
	}
	return out
}
