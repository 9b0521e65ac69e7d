package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ resource.ResourceWithModifyPlan = (*resourceRequestResource)(nil)

// ModifyPlan fills what is knowable at plan time (namespace, id) and asks
// the API server to check a created or changed request (checkPlannedRequest).
// With no Promise yet (it is created in the same apply) the check is left to
// apply with a warning: planning never needs the API
// (hashicorp/terraform-provider-kubernetes#1367).
func (r *resourceRequestResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	declared := r.planFromManifest(ctx, req, resp)
	if r.data == nil || resp.Diagnostics.HasError() {
		return
	}
	planWorkflowRerun(ctx, req, resp, requestOutcomeUnknown())
	if resp.Plan.Raw.Equal(req.State.Raw) {
		// Unchanged: nothing to fill in, no version to move to, nothing
		// for the API server to check. Most requests of a large plan.
		return
	}
	// Attribute by attribute, not the whole model: this runs for every
	// request on every plan, and a full Get and Set walks the whole state.
	var plan resourceRequestModel
	for name, target := range map[string]any{
		"id": &plan.ID, "promise": &plan.Promise, "name": &plan.Name, "namespace": &plan.Namespace,
		"validate_spec": &plan.ValidateSpec, "spec": &plan.Spec,
	} {
		resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root(name), target)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Namespace.IsUnknown() && req.State.Raw.IsNull() {
		var configured types.String
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("namespace"), &configured)...)
		if configured.IsNull() {
			plan.Namespace = types.StringValue(r.data.DefaultNamespace)
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("namespace"), plan.Namespace)...)
		}
	}
	if plan.ID.IsUnknown() && known(plan.Promise, plan.Namespace, plan.Name) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), requestID(&plan))...)
	}
	r.planVersion(ctx, req, plan.Promise, &resp.Diagnostics)
	if plan.ValidateSpec.ValueBool() {
		req.Plan = resp.Plan // with what the manifest set
		r.checkPlannedRequest(ctx, req, &plan, declared, &resp.Diagnostics)
	}
}

// planVersion checks a promise_version the apply would move the request to.
func (r *resourceRequestResource) planVersion(ctx context.Context, req resource.ModifyPlanRequest, promise types.String, diags *diag.Diagnostics) {
	var wanted, current types.String
	diags.Append(req.Config.GetAttribute(ctx, path.Root("promise_version"), &wanted)...)
	if !req.State.Raw.IsNull() {
		diags.Append(req.State.GetAttribute(ctx, path.Root("promise_version"), &current)...)
	}
	if diags.HasError() || !known(wanted, promise) || wanted.Equal(current) {
		return
	}
	r.checkPlannedVersion(ctx, promise.ValueString(), wanted.ValueString(), diags)
}

func known(values ...types.String) bool {
	for _, v := range values {
		if v.IsUnknown() || v.IsNull() {
			return false
		}
	}
	return true
}

// unknownValue marks a value known only after apply in toGoPartial's output.
type unknownValue struct{}

// toGoPartial is toGo that keeps going past unknown values, marking them.
func toGoPartial(v attr.Value) any {
	if v == nil || v.IsNull() {
		return nil
	}
	if v.IsUnknown() {
		return unknownValue{}
	}
	switch tv := v.(type) {
	case types.Dynamic:
		return toGoPartial(tv.UnderlyingValue())
	case types.Object:
		return mapPartial(tv.Attributes())
	case types.Map:
		return mapPartial(tv.Elements())
	case types.List:
		return slicePartial(tv.Elements())
	case types.Tuple:
		return slicePartial(tv.Elements())
	case types.Set:
		return slicePartial(tv.Elements())
	}
	g, _ := toGo(v)
	return g
}

func mapPartial(elems map[string]attr.Value) map[string]any {
	out := make(map[string]any, len(elems))
	for k, e := range elems {
		if g := toGoPartial(e); g != nil {
			out[k] = g
		}
	}
	return out
}

func slicePartial(elems []attr.Value) []any {
	out := make([]any, 0, len(elems))
	for _, e := range elems {
		out = append(out, toGoPartial(e))
	}
	return out
}

// ValidateConfig: `manifest` or the typed arguments, never both, and a name
// either way.
func (r *resourceRequestResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	manifest, config := readRequestArgs(ctx, req.Config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if !manifest.IsNull() {
		conflictsWithManifest(config.values(), requestManifestArgs, "kratix_resource_request", &resp.Diagnostics)
		return
	}
	if config.Name.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Missing name",
			"Set `manifest` to a whole request (manifest = file(\"resource-request.yaml\")), or set `name` and `spec`.")
	}
}
