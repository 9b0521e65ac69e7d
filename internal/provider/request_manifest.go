package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var _ resource.ResourceWithValidateConfig = (*resourceRequestResource)(nil)

// requestManifestArgs are the arguments `manifest` fills.
var requestManifestArgs = []covered{
	{"name", "metadata.name"},
	{"namespace", "metadata.namespace"},
	{"labels", "metadata.labels"},
	{"annotations", "metadata.annotations"},
	{"spec", "spec"},
}

func requestManifestAttribute() schema.DynamicAttribute {
	return schema.DynamicAttribute{Optional: true, MarkdownDescription: "A whole request, as text " +
		"(`file(\"resource-request.yaml\")`) or decoded (`yamldecode(file(\"resource-request.yaml\"))`). It sets `name`, " +
		"`namespace` (the provider's `default_namespace` when the manifest has none), `labels`, `annotations` and `spec`, " +
		"which then cannot be set alongside it; the plan shows its changes on those arguments. Its `apiVersion` and `kind` " +
		"are not used and may be blank, as `kratix init` writes them: `promise` (or `api_version` and `kind`) still says what is requested, so a request written for " +
		"another version of the API works as is; a `kind` other than the Promise's API's gives a warning at plan. Other metadata and `status` are ignored. It must hold one document with " +
		"a `metadata.name`. Unset by default."}
}

// requestArgs are the values of requestManifestArgs.
type requestArgs struct {
	Name, Namespace     types.String
	Labels, Annotations types.Map
	Spec                types.Dynamic
}

func (a *requestArgs) values() map[string]attr.Value {
	return map[string]attr.Value{"name": a.Name, "namespace": a.Namespace, "labels": a.Labels, "annotations": a.Annotations, "spec": a.Spec}
}

func (a *requestArgs) targets() map[string]any {
	return map[string]any{"name": &a.Name, "namespace": &a.Namespace, "labels": &a.Labels, "annotations": &a.Annotations, "spec": &a.Spec}
}

type attributeGetter interface {
	GetAttribute(context.Context, path.Path, any) diag.Diagnostics
}

func readRequestArgs(ctx context.Context, from attributeGetter, diags *diag.Diagnostics) (types.Dynamic, requestArgs) {
	var manifest types.Dynamic
	var args requestArgs
	diags.Append(from.GetAttribute(ctx, path.Root("manifest"), &manifest)...)
	for name, target := range args.targets() {
		diags.Append(from.GetAttribute(ctx, path.Root(name), target)...)
	}
	return manifest, args
}

// planFromManifest sets the planned name, labels, annotations and spec
// from the manifest, or exactly as configured without one (they are
// Computed only so that the manifest can fill them). The namespace keeps
// its own defaulting without a manifest.
// It returns the apiVersion and kind the manifest names, if any.
func (r *resourceRequestResource) planFromManifest(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) (declared declaredKind) {
	manifest, planned := readRequestArgs(ctx, req.Config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return declared
	}
	values := planned.values()
	if manifest.IsNull() {
		delete(values, "namespace")
	} else {
		planned, declared = r.requestArgsFromManifest(ctx, manifest, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return declared
		}
		values = planned.values()
	}
	for name, value := range values {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), value)...)
	}
	if !req.State.Raw.IsNull() {
		replaceWhenChanged(ctx, req, resp, "name", "namespace")
	}
	return declared
}

// declaredKind is the apiVersion and kind a request's manifest names. They
// decide nothing (the Promise does); a kind other than the Promise's API's
// is worth a warning, as the file may be the wrong one.
type declaredKind struct{ apiVersion, kind string }

// warnIfOtherKind warns when the manifest names a kind, and it is not the
// one the request is made under.
func (d declaredKind) warnIfOtherKind(who string, gvk k8sschema.GroupVersionKind, diags *diag.Diagnostics) {
	if d.kind == "" || strings.EqualFold(d.kind, gvk.Kind) {
		return
	}
	diags.AddAttributeWarning(path.Root("manifest"), "The manifest names another kind",
		fmt.Sprintf("The manifest of %s says apiVersion %q, kind %q, but its Promise's API is kind %s (%s), and the "+
			"request is made as that. If the manifest is the right file, change or remove its kind; otherwise check "+
			"the file and promise.", who, d.apiVersion, d.kind, gvk.Kind, gvk.GroupVersion()))
}

func (r *resourceRequestResource) requestArgsFromManifest(ctx context.Context, manifest types.Dynamic, diags *diag.Diagnostics) (requestArgs, declaredKind) {
	doc, known, err := manifestDocument(manifest)
	if !known {
		return requestArgs{Name: types.StringUnknown(), Namespace: types.StringUnknown(), Labels: types.MapUnknown(types.StringType),
			Annotations: types.MapUnknown(types.StringType), Spec: types.DynamicUnknown()}, declaredKind{}
	}
	var parsed kratix.RequestManifest
	if err == nil {
		parsed, err = kratix.ParseRequestManifest(doc)
	}
	if err != nil {
		manifestError("kratix_resource_request", err, diags)
		return requestArgs{}, declaredKind{}
	}
	namespace := types.StringValue(parsed.Namespace)
	if parsed.Namespace == "" {
		namespace = types.StringUnknown() // the provider's default_namespace, once configured
		if r.data != nil {
			namespace = types.StringValue(r.data.DefaultNamespace)
		}
	}
	args := requestArgs{Name: types.StringValue(parsed.Name), Namespace: namespace,
		Labels: optionalMapValue(parsed.Labels), Annotations: optionalMapValue(parsed.Annotations), Spec: types.DynamicNull()}
	if parsed.Spec != nil {
		args.Spec = dynamicFromGo(ctx, parsed.Spec)
	}
	checkManifestString(ctx, "metadata.name", args.Name, dnsSubdomain(), diags)
	checkManifestString(ctx, "metadata.namespace", args.Namespace, dnsLabel(), diags)
	checkManifestMap(ctx, "metadata.labels", args.Labels, metadataKeysValidator{labelValues: true}, diags)
	checkManifestMap(ctx, "metadata.annotations", args.Annotations, metadataKeysValidator{}, diags)
	return args, declaredKind{parsed.APIVersion, parsed.Kind}
}
