package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// ModifyPlan catches at plan time what Kratix's admission webhook would
// refuse at apply time, and plans a replacement where Kratix makes the API
// immutable.
func (r *promiseResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	planWorkflowRerun(ctx, req, resp, promiseOutcomeUnknown())
	r.planFromManifest(ctx, req, resp)
	var plan promiseModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creating := req.State.Raw.IsNull()
	validatePromiseWorkflows(&plan, resp)
	if api, err := toGo(plan.API); err == nil && api != nil {
		apiMap, _ := api.(map[string]any)
		if problem := kratix.ValidatePromiseAPI(apiMap, creating); problem != "" {
			resp.Diagnostics.AddAttributeError(path.Root("api"), "Invalid Promise API", problem)
		}
	}
	if creating {
		return
	}
	var prior promiseModel
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if promiseArgsChanged(&plan, &prior) {
		markPromiseOutcomeUnknown(ctx, resp)
	}
	replaceWhenChanged(ctx, req, resp, "name")
	if !plan.Name.IsUnknown() && !plan.Name.Equal(prior.Name) {
		warnPromiseReplacement(resp, path.Root("name"), "The Promise's name changes.", prior.ForceDestroy.ValueBool())
	}
	priorAPI, errPrior := toGo(prior.API)
	planAPI, errPlan := toGo(plan.API)
	if errPrior != nil || errPlan != nil || priorAPI == nil {
		return
	}
	if reason := kratix.APIIdentityChange(asMap(priorAPI), asMap(planAPI)); reason != "" {
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("api"))
		warnPromiseReplacement(resp, path.Root("api"), reason+" Kratix does not allow this change in place.", prior.ForceDestroy.ValueBool())
	}
}

// ValidateConfig checks `manifest` against the typed arguments
// (validateManifestConfig), and refuses wait_for_requests without wait:
// the requests are followed only after the Promise itself is usable again.
func (r *promiseResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateManifestConfig(ctx, req, resp)
	var waitForRequests, wait types.Bool
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("wait_for_requests"), &waitForRequests)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("wait"), &wait)...)
	if waitForRequests.ValueBool() && !wait.IsUnknown() && !wait.IsNull() && !wait.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("wait_for_requests"), "wait_for_requests needs wait = true",
			"The requests of a Promise are followed after the Promise itself is usable again, which wait = false skips. "+
				"Remove wait = false, or wait_for_requests = true.")
	}
}
