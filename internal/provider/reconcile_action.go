package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

var (
	_ action.ActionWithConfigure        = (*reconcileAction)(nil)
	_ action.ActionWithConfigValidators = (*reconcileAction)(nil)
)

// reconcileAction re-runs the configure workflow of one Promise or one
// resource request, as `kubectl label ... kratix.io/manual-reconciliation=true`
// does, and waits for the run.
type reconcileAction struct{ data *providerData }

// NewReconcileAction returns the kratix_reconcile action.
func NewReconcileAction() action.Action { return &reconcileAction{} }

func (a *reconcileAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_reconcile"
}

func (a *reconcileAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Re-runs the configure workflow of one Promise (its promise configure pipelines) or of one " +
			"resource request, from its first pipeline, and waits until the new run has finished. It asks Kratix the way " +
			"`kubectl label ... kratix.io/manual-reconciliation=true` does; Kratix removes the label once the run is " +
			"scheduled and stops a run already in progress. Progress (which pipeline is running) is shown as the run goes. " +
			"The action fails, naming the pipeline and its message, when a pipeline fails; and at once when the object " +
			"does not exist, has no configure workflow, or is paused (label `kratix.io/paused=true`).",
		Attributes: workflowTargetAttributes("re-run"),
	}
}

func (a *reconcileAction) ConfigValidators(context.Context) []action.ConfigValidator {
	return workflowTargetValidators()
}

func (a *reconcileAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (a *reconcileAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m workflowTargetModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(a.data, &resp.Diagnostics) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, actionTimeout(m.Timeout, defaultActionTimeout))
	defer cancel()
	t := resolveTarget(ctx, a.data, &m, &resp.Diagnostics)
	if t == nil {
		return
	}
	since := time.Now()
	tflog.Info(ctx, "asking Kratix to re-run the configure workflow", map[string]any{"object": t.String()})
	_, err := a.data.Client.MergePatch(ctx, t.gvk, t.namespace, t.name, kratix.RerunPatch(string(t.obj.GetUID())),
		kube.WriteOptions{FieldManager: a.data.FieldManager})
	if err != nil {
		resp.Diagnostics.AddError("Cannot ask Kratix to re-run the configure workflow of "+t.String(), err.Error())
		return
	}
	send := progressSender(resp)
	send(t.String() + ": asked Kratix to re-run the configure workflow")
	followWorkflow(ctx, a.data.Client, t, t.newWatch(since, false), since, send, &resp.Diagnostics)
}
