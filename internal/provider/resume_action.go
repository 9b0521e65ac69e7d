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
	_ action.ActionWithConfigure        = (*resumeWorkflowAction)(nil)
	_ action.ActionWithConfigValidators = (*resumeWorkflowAction)(nil)
)

// resumeWorkflowAction resumes a configure workflow that suspended itself
// (workflow-control) by removing the label kratix.io/workflow-suspended,
// and waits for it to finish.
type resumeWorkflowAction struct{ data *providerData }

// NewResumeWorkflowAction returns the kratix_resume_workflow action.
func NewResumeWorkflowAction() action.Action { return &resumeWorkflowAction{} }

func (a *resumeWorkflowAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_resume_workflow"
}

func (a *resumeWorkflowAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Resumes the configure workflow of one Promise or one resource request that a pipeline " +
			"suspended (workflow-control: `suspend: true` in `/kratix/metadata/workflow-control.yaml`), by removing " +
			"the label `kratix.io/workflow-suspended` as Kratix expects, and waits until the workflow has finished. " +
			"Progress is shown as it runs. The action fails at once when the object's workflow is not suspended, " +
			"and when a pipeline fails or suspends the workflow again (with the pipeline's name and message). " +
			"Needs a Kratix release with workflow-control; older releases never suspend a workflow.",
		Attributes: workflowTargetAttributes("resume"),
	}
}

func (a *resumeWorkflowAction) ConfigValidators(context.Context) []action.ConfigValidator {
	return workflowTargetValidators()
}

func (a *resumeWorkflowAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (a *resumeWorkflowAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
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
	if t.obj.GetLabels()[kratix.LabelWorkflowSuspended] != "true" {
		resp.Diagnostics.AddAttributeError(t.attr, "The workflow of "+t.String()+" is not suspended",
			"There is nothing to resume: the object does not have the label "+kratix.LabelWorkflowSuspended+"=true, "+
				"which Kratix sets when a pipeline suspends the workflow. To run the workflow again from the start, use "+
				"the kratix_reconcile action.")
		return
	}
	since := time.Now()
	tflog.Info(ctx, "resuming the suspended workflow", map[string]any{"object": t.String()})
	_, err := a.data.Client.MergePatch(ctx, t.gvk, t.namespace, t.name, kratix.ResumePatch(string(t.obj.GetUID())),
		kube.WriteOptions{FieldManager: a.data.FieldManager})
	if err != nil {
		resp.Diagnostics.AddError("Cannot resume the workflow of "+t.String(), err.Error())
		return
	}
	send := progressSender(resp)
	send(t.String() + ": resumed the suspended workflow")
	followWorkflow(ctx, a.data.Client, t, t.newWatch(since, true), since, send, &resp.Diagnostics)
}
