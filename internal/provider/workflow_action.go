package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

var (
	_ action.ActionWithConfigure        = (*workflowAction)(nil)
	_ action.ActionWithConfigValidators = (*workflowAction)(nil)
)

// workflowAction asks Kratix to run the configure workflow of one Promise
// or one resource request (with a label patch) and follows the run. The
// two actions differ in the patch, a precondition and their words.
type workflowAction struct {
	data        *providerData
	suffix      string // after the provider's name: kratix_<suffix>
	verb        string // what the target attributes' descriptions say is done
	description string
	resume      bool
	// refuse says why the target cannot be acted on, or adds nothing.
	refuse func(t *workflowTarget, diags *diag.Diagnostics)
	patch  func(uid string) []byte
	doing  string // "re-run the configure workflow", for logs and errors
	done   string // the progress line once Kratix has been asked
}

// NewReconcileAction returns the kratix_reconcile action: a re-run, as
// `kubectl label ... kratix.io/manual-reconciliation=true` does.
func NewReconcileAction() action.Action {
	return &workflowAction{
		suffix: "_reconcile", verb: "re-run",
		description: "Re-runs the configure workflow of one Promise (its promise configure pipelines) or of one " +
			"resource request, from its first pipeline, and waits until the new run has finished. It asks Kratix the way " +
			"`kubectl label ... kratix.io/manual-reconciliation=true` does; Kratix removes the label once the run is " +
			"scheduled and stops a run already in progress. Progress (which pipeline is running) is shown as the run goes. " +
			"The action fails, naming the pipeline and its message, when a pipeline fails; and at once when the object " +
			"does not exist, has no configure workflow, or is paused (label `kratix.io/paused=true`).",
		refuse: func(*workflowTarget, *diag.Diagnostics) {},
		patch:  kratix.RerunPatch,
		doing:  "re-run the configure workflow", done: "asked Kratix to re-run the configure workflow",
	}
}

// NewResumeWorkflowAction returns the kratix_resume_workflow action: it
// removes the label kratix.io/workflow-suspended from a workflow that
// suspended itself (workflow-control).
func NewResumeWorkflowAction() action.Action {
	return &workflowAction{
		suffix: "_resume_workflow", verb: "resume", resume: true,
		description: "Resumes the configure workflow of one Promise or one resource request that a pipeline " +
			"suspended (workflow-control: `suspend: true` in `/kratix/metadata/workflow-control.yaml`), by removing " +
			"the label `kratix.io/workflow-suspended` as Kratix expects, and waits until the workflow has finished. " +
			"Progress is shown as it runs. The action fails at once when the object's workflow is not suspended, " +
			"and when a pipeline fails or suspends the workflow again (with the pipeline's name and message). " +
			"Needs a Kratix release with workflow-control; older releases never suspend a workflow.",
		refuse: refuseUnlessSuspended,
		patch:  kratix.ResumePatch,
		doing:  "resume the workflow", done: "resumed the suspended workflow",
	}
}

func refuseUnlessSuspended(t *workflowTarget, diags *diag.Diagnostics) {
	if t.obj.GetLabels()[kratix.LabelWorkflowSuspended] == "true" {
		return
	}
	diags.AddAttributeError(t.attr, "The workflow of "+t.String()+" is not suspended",
		"There is nothing to resume: the object does not have the label "+kratix.LabelWorkflowSuspended+"=true, "+
			"which Kratix sets when a pipeline suspends the workflow. To run the workflow again from the start, use "+
			"the kratix_reconcile action.")
}

func (a *workflowAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + a.suffix
}

func (a *workflowAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{MarkdownDescription: a.description, Attributes: workflowTargetAttributes(a.verb)}
}

func (a *workflowAction) ConfigValidators(context.Context) []action.ConfigValidator {
	return workflowTargetValidators()
}

func (a *workflowAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (a *workflowAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
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
	if a.refuse(t, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	// The server's clock: the watch compares it with lastTransitionTime
	// and the Jobs' creationTimestamp.
	since := a.data.Client.ServerNow()
	tflog.Info(ctx, "asking Kratix to "+a.doing, map[string]any{"object": t.String()})
	_, err := a.data.Client.MergePatch(ctx, t.gvk, t.namespace, t.name, a.patch(string(t.obj.GetUID())),
		kube.WriteOptions{FieldManager: a.data.FieldManager})
	if err != nil {
		resp.Diagnostics.AddError("Cannot "+a.doing+" of "+t.String(), err.Error())
		return
	}
	send := progressSender(resp)
	send(t.String() + ": " + a.done)
	followWorkflow(ctx, a.data.Client, t, t.newWatch(since, a.resume), since, send, &resp.Diagnostics)
}
