package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// defaultReconcileRequestsTimeout bounds kratix_reconcile_requests when its
// timeout argument is unset: Kratix runs the requests' workflows side by
// side, but a Promise may have many.
const defaultReconcileRequestsTimeout = 30 * time.Minute

var _ action.ActionWithConfigure = (*reconcileRequestsAction)(nil)

// reconcileRequestsAction re-runs the configure workflow of every resource
// request of a Promise (optionally filtered) and reports the ones that
// failed, with the rules kratix_promise's wait_for_requests follows.
type reconcileRequestsAction struct{ data *providerData }

type reconcileRequestsModel struct {
	Promise   types.String `tfsdk:"promise"`
	Namespace types.String `tfsdk:"namespace"`
	Labels    types.Map    `tfsdk:"labels"`
	Timeout   types.String `tfsdk:"timeout"`
}

// NewReconcileRequestsAction returns the kratix_reconcile_requests action.
func NewReconcileRequestsAction() action.Action { return &reconcileRequestsAction{} }

func (a *reconcileRequestsAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_reconcile_requests"
}

func (a *reconcileRequestsAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Re-runs the configure workflow of every resource request of a Promise, or of those in one " +
			"namespace or with given labels, and waits until each has run again. It labels each request " +
			"`kratix.io/manual-reconciliation=true`, as Kratix itself does when a Promise's spec changes. Progress " +
			"(how many requests are done, which are still running) is shown as the runs go, and the action fails naming " +
			"every request whose pipeline failed, with the pipeline's message. Requests that cannot run now (paused, " +
			"suspended, or their Promise unavailable) are left alone and listed in a warning.",
		Attributes: map[string]schema.Attribute{
			"promise": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name of the Promise whose resource requests to re-run.",
			},
			"namespace": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only re-run the requests in this namespace. By default, requests in all namespaces.",
			},
			"labels": schema.MapAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Only re-run the requests that have all these labels, with these values. By default, all requests.",
			},
			"timeout": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "How long to wait for all the requests to run again, as a Go duration such as `10m` or " +
					"`1h` (default `30m`). Kratix goes on with the workflows after a timeout.",
				Validators: []validator.String{minDuration(time.Second)},
			},
		},
	}
}

func (a *reconcileRequestsAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (a *reconcileRequestsAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m reconcileRequestsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(a.data, &resp.Diagnostics) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, actionTimeout(m.Timeout, defaultReconcileRequestsTimeout))
	defer cancel()
	name := m.Promise.ValueString()
	gvk, ok := a.requestAPI(ctx, name, &resp.Diagnostics)
	if !ok {
		return
	}
	selected := map[string]string{}
	resp.Diagnostics.Append(m.Labels.ElementsAs(ctx, &selected, false)...)
	if resp.Diagnostics.HasError() {
		return
	}
	opts := metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selected).String()}
	list, err := a.data.Client.List(ctx, gvk, m.Namespace.ValueString(), opts)
	if err != nil {
		resp.Diagnostics.AddError("Cannot list the resource requests of Promise "+name, err.Error())
		return
	}
	send := progressSender(resp)
	since := a.data.Client.ServerNow() // compared with the requests' lastTransitionTime
	marked, err := kratix.MarkRequestsForRerun(ctx, a.data.Client, a.data.FieldManager, gvk, list.Items)
	if err != nil {
		resp.Diagnostics.AddError("Cannot ask Kratix to re-run the requests of Promise "+name, fmt.Sprintf(
			"%d request(s) were labelled before this error, and Kratix re-runs them: %v", marked, err))
		return
	}
	tflog.Info(ctx, "asked Kratix to re-run the requests", map[string]any{"promise": name, "requests": marked})
	send(fmt.Sprintf("Promise %s: asked Kratix to re-run %d request(s)", name, marked))
	var lastLine string
	progress, err := kratix.FollowRequestsRerun(ctx, a.data.Client, gvk, m.Namespace.ValueString(), opts, &kratix.RequestsRerun{Since: since},
		rerunPollInterval, func(p kratix.RerunProgress) {
			if line := rerunProgressLine(name, p); line != lastLine {
				lastLine = line
				send(line)
			}
		})
	a.report(ctx, name, kratix.RerunResult(progress, err, ctx.Err()), &resp.Diagnostics)
}

// requestAPI reads the Promise and the API of its requests, and checks
// they have a configure workflow to re-run.
func (a *reconcileRequestsAction) requestAPI(ctx context.Context, name string, diags *diag.Diagnostics) (k8sschema.GroupVersionKind, bool) {
	api, ok := readPromise(ctx, a.data, name, path.Root("promise"), diags)
	if !ok {
		return k8sschema.GroupVersionKind{}, false
	}
	if !api.published {
		diags.AddAttributeError(path.Root("promise"), "Promise "+name+" has not published its API",
			"Kratix has not installed the API of this Promise's requests yet, so it has no requests to re-run. "+
				"Check it with: kubectl describe promise "+name)
		return k8sschema.GroupVersionKind{}, false
	}
	if len(kratix.PipelineNames(api.promise, "resource", "configure")) == 0 {
		diags.AddAttributeError(path.Root("promise"), "The requests of Promise "+name+" have no configure workflow",
			"The Promise's spec.workflows.resource.configure is empty, so Kratix has no workflow to re-run for its requests.")
		return k8sschema.GroupVersionKind{}, false
	}
	return api.gvk(), true
}

// rerunProgressLine is one progress message: the counts, and the first
// request still running.
func rerunProgressLine(promise string, p kratix.RerunProgress) string {
	line := fmt.Sprintf("Promise %s: %d of %d request(s) re-ran", promise, p.Done, p.Total-len(p.Blocked))
	if len(p.Failed) > 0 {
		line += fmt.Sprintf(", %d failed", len(p.Failed))
	}
	if len(p.Pending) > 0 {
		line += fmt.Sprintf("; waiting for %s", p.Pending[0])
		if more := len(p.Pending) - 1; more > 0 {
			line += fmt.Sprintf(" (and %d more)", more)
		}
	}
	return line
}

// report warns of the requests left alone and reports how following the
// others ended.
func (a *reconcileRequestsAction) report(ctx context.Context, name string, res kratix.FollowResult, diags *diag.Diagnostics) {
	if p := res.Requests; len(p.Blocked) > 0 {
		diags.AddWarning(fmt.Sprintf("%d resource request(s) of Promise %s were not re-run", len(p.Blocked), name),
			"Kratix cannot run their workflows now, so the action left them alone:\n"+bullets(p.Blocked)+
				"\n\nUnpause or resume them (kratix_resume_workflow) first.")
	}
	reportFollow(res, followReport{
		what: "the requests of Promise " + name,
		timedOut: func(res kratix.FollowResult) (string, string) {
			p := res.Requests
			return "Timed out waiting for the requests of Promise " + name + " to re-run", fmt.Sprintf(
				"%d of %d request(s) had run their configure workflow again; still waiting for:\n%s\n\nKratix goes on with "+
					"the workflows. Raise timeout if the pipelines are just slow.", p.Done, p.Total, bullets(p.Pending))
		},
		errored: func(res kratix.FollowResult) (string, string) {
			return "Cannot follow the requests of Promise " + name, fmt.Sprintf(
				"Listing its resource requests failed: %s\n\nThe action needs list on the Promise's request API.", followErr(res))
		},
		failed: func(res kratix.FollowResult) (string, string) {
			p := res.Requests
			return fmt.Sprintf("%d resource request(s) of Promise %s failed to re-run", len(p.Failed), name), fmt.Sprintf(
				"Kratix re-ran the configure workflow of %d request(s). These failed:\n%s\n\nFix the pipeline in the Promise, "+
					"or the request, then run the action again. Their Jobs:\n  kubectl get jobs -A -l %s=%s,%s=resource",
				p.Total-len(p.Blocked), bullets(describeRerunFailures(ctx, a.data.Client, name, p.Failed)),
				kratix.LabelPromiseName, name, kratix.LabelWorkflowType)
		},
	}, diags)
}
