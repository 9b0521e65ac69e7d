package provider

import (
	"context"
	"sort"
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
	// objects returns the matching objects, each with the state an import
	// of it would read and its display name.
	objects func(ctx context.Context, data *providerData, f listFilter) ([]listedObject, error)
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
	objects, err := l.kind.objects(ctx, l.data, f)
	if err != nil {
		diags.AddError("Cannot list "+l.kind.typeName+" objects", err.Error())
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	defaultsOf := attributeDefaults(ctx, l.kind.newResource())
	stream.Results = func(push func(list.ListResult) bool) {
		for i, obj := range objects {
			if req.Limit > 0 && int64(i) >= req.Limit {
				return
			}
			if !push(l.result(ctx, req, obj, defaultsOf)) {
				return
			}
		}
	}
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
		var promise, namespace types.String
		diags.Append(cfg.GetAttribute(ctx, path.Root("promise"), &promise)...)
		diags.Append(cfg.GetAttribute(ctx, path.Root("namespace"), &namespace)...)
		f.Promise, f.Namespace = promise.ValueString(), namespace.ValueString()
	}
	return f
}

// listCluster lists a cluster-scoped kind sorted by name, each object with
// the state an import reads.
func listCluster(gvk k8sschema.GroupVersionKind, imported func(ctx context.Context, data *providerData, obj *unstructured.Unstructured) any) func(context.Context, *providerData, listFilter) ([]listedObject, error) {
	return func(ctx context.Context, data *providerData, f listFilter) ([]listedObject, error) {
		items, err := data.Client.List(ctx, gvk, "", f.options())
		if err != nil {
			return nil, err
		}
		sort.Slice(items.Items, func(i, j int) bool { return items.Items[i].GetName() < items.Items[j].GetName() })
		out := make([]listedObject, 0, len(items.Items))
		for i := range items.Items {
			obj := &items.Items[i]
			out = append(out, listedObject{displayName: obj.GetName(), state: imported(ctx, data, obj)})
		}
		return out, nil
	}
}

// listRequests lists the requests of one Promise, or of every Promise,
// sorted by Promise, namespace and name.
func listRequests(ctx context.Context, data *providerData, f listFilter) ([]listedObject, error) {
	var promises []unstructured.Unstructured
	if f.Promise != "" {
		p, err := data.Client.Get(ctx, kratix.PromiseGVK, "", f.Promise)
		if err != nil {
			return nil, err
		}
		promises = []unstructured.Unstructured{*p}
	} else {
		all, err := data.Client.List(ctx, kratix.PromiseGVK, "", metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		promises = all.Items
	}
	sort.Slice(promises, func(i, j int) bool { return promises[i].GetName() < promises[j].GetName() })
	var out []listedObject
	for i := range promises {
		items, err := promiseRequests(ctx, data, &promises[i], f)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

func promiseRequests(ctx context.Context, data *providerData, promise *unstructured.Unstructured, f listFilter) ([]listedObject, error) {
	apiVersion, kind, published := kratix.PromiseAPI(promise)
	if kind == "" {
		return nil, nil
	}
	items, err := data.Client.List(ctx, k8sschema.FromAPIVersionAndKind(apiVersion, kind), f.Namespace, f.options())
	if !published && kube.IsKindNotServed(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(items.Items, func(i, j int) bool {
		a, b := &items.Items[i], &items.Items[j]
		return a.GetNamespace() < b.GetNamespace() || a.GetNamespace() == b.GetNamespace() && a.GetName() < b.GetName()
	})
	r := &resourceRequestResource{data: data}
	out := make([]listedObject, 0, len(items.Items))
	for i := range items.Items {
		obj := &items.Items[i]
		id := requestIdentity{Promise: promise.GetName(), Namespace: obj.GetNamespace(), Name: obj.GetName()}
		rawID := strings.Join([]string{id.Promise, id.Namespace, id.Name}, "/")
		state := importedRequestState(rawID, id)
		r.fillFromObject(ctx, &state, obj)
		// Named by its Promise, a request's configuration leaves out
		// api_version and kind (setting both is refused).
		state.APIVersion, state.Kind = types.StringNull(), types.StringNull()
		out = append(out, listedObject{displayName: rawID, state: &state})
	}
	return out, nil
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
			description:    "Lists resource requests: of one Promise or of all, in one namespace or in all, optionally those with given labels.",
			requestFilters: true, objects: listRequests,
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
