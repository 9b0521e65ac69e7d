package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// flagWorkflowPending marks an object that was written but whose workflow
// the last apply did not see finish (it failed, timed out or was
// interrupted). After a failed create Terraform taints the object; if the
// user untaints it instead, nothing in the configuration differs from the
// state, so without this mark the next plan would be empty and the failed
// workflow would never run again.
const flagWorkflowPending privateFlag = "workflow_pending"

// settleUpdate records in private state what an update leaves behind: the
// workflow stays pending while it has not finished, and the adoption after
// an import ends once an update succeeds.
func settleUpdate(ctx context.Context, resp *resource.UpdateResponse, adopted, unfinished bool) {
	if unfinished {
		flagWorkflowPending.set(ctx, resp.Private, true, &resp.Diagnostics)
		return
	}
	if !resp.Diagnostics.HasError() {
		flagWorkflowPending.set(ctx, resp.Private, false, &resp.Diagnostics)
	}
	endAdoption(ctx, resp, adopted)
}

// planWorkflowRerun plans an update of an unchanged object whose workflow
// did not finish, by marking the outcome attributes unknown: the update then
// re-runs the workflow and waits for it.
func planWorkflowRerun(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, outcome map[string]any) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() || !flagWorkflowPending.get(ctx, req.Private, &resp.Diagnostics) {
		return
	}
	for name, unknown := range outcome {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), unknown)...)
	}
}

// requestOutcomeUnknown and promiseOutcomeUnknown are the attributes an
// update re-reads from Kratix.
func requestOutcomeUnknown() map[string]any {
	return map[string]any{
		"observed_generation": types.Int64Unknown(), "message": types.StringUnknown(), "status": types.DynamicUnknown(),
		"conditions": types.MapUnknown(types.StringType), "workflows": types.MapUnknown(types.StringType),
	}
}

func promiseOutcomeUnknown() map[string]any {
	return map[string]any{
		"status": types.StringUnknown(), "message": types.StringUnknown(), "conditions": types.ListUnknown(conditionObjectType),
	}
}

// nextApplyAdvice tells, after a workflow did not finish, what the next
// apply does and how to retry in place instead. what is "request" or
// "Promise".
func nextApplyAdvice(what string, created bool) string {
	if !created {
		return fmt.Sprintf("The %[1]s keeps the new configuration in the Terraform state, and the next terraform apply "+
			"runs its workflow again and waits for it, even if nothing else changed.", what)
	}
	replace := "deletes it (running its delete workflow) and creates it again"
	if what == "Promise" {
		replace = "deletes it and creates it again (with force_destroy = false, that stops while resource requests of it exist)"
	}
	return fmt.Sprintf("What happens next: Terraform marks the %[1]s tainted, so the next terraform apply %[2]s. "+
		"To keep the %[1]s and only run its workflow again, fix the cause, then run\n"+
		"  terraform untaint ADDRESS\n  terraform apply\n"+
		"(ADDRESS is this resource's address): the apply re-runs the workflow of the unchanged %[1]s and waits for it.", what, replace)
}
