package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/actionvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// defaultActionTimeout bounds an action on one object when its timeout
// argument is unset.
const defaultActionTimeout = 10 * time.Minute

// workflowTargetModel is the configuration of an action on the configure
// workflow of one Promise or one resource request.
type workflowTargetModel struct {
	Promise types.String        `tfsdk:"promise"`
	Request *requestTargetModel `tfsdk:"request"`
	Timeout types.String        `tfsdk:"timeout"`
}

type requestTargetModel struct {
	Promise    types.String `tfsdk:"promise"`
	APIVersion types.String `tfsdk:"api_version"`
	Kind       types.String `tfsdk:"kind"`
	Namespace  types.String `tfsdk:"namespace"`
	Name       types.String `tfsdk:"name"`
}

// workflowTargetAttributes is the schema shared by kratix_reconcile and
// kratix_resume_workflow; verb says what the action does to the workflow.
func workflowTargetAttributes(verb string) map[string]schema.Attribute {
	requestAttr := func(p string) path.Expression { return path.MatchRelative().AtParent().AtName(p) }
	return map[string]schema.Attribute{
		"promise": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Name of the Promise whose promise configure workflow to " + verb + ". Exactly one of " +
				"`promise` and `request` is set.",
		},
		"request": schema.SingleNestedAttribute{
			Optional: true,
			MarkdownDescription: "The resource request whose configure workflow to " + verb + ", named as in the import " +
				"ID of `kratix_resource_request`: by `promise`, or by `api_version` and `kind`, plus `namespace` and `name`. " +
				"Exactly one of `promise` and `request` is set.",
			Attributes: map[string]schema.Attribute{
				"promise": schema.StringAttribute{
					Optional:            true,
					MarkdownDescription: "Name of the request's Promise. Set either this or `api_version` and `kind`.",
					Validators:          []validator.String{stringvalidator.ExactlyOneOf(requestAttr("kind"))},
				},
				"api_version": schema.StringAttribute{
					Optional:            true,
					MarkdownDescription: "API version of the request, e.g. `marketplace.kratix.io/v1alpha1`; set with `kind`.",
					Validators:          []validator.String{stringvalidator.AlsoRequires(requestAttr("kind"))},
				},
				"kind": schema.StringAttribute{
					Optional:            true,
					MarkdownDescription: "Kind of the request, e.g. `postgresql`; set with `api_version`.",
					Validators:          []validator.String{stringvalidator.AlsoRequires(requestAttr("api_version"))},
				},
				"namespace": schema.StringAttribute{
					Optional:            true,
					MarkdownDescription: "Namespace of the request. Defaults to the provider's `default_namespace` (itself `default` unless set).",
				},
				"name": schema.StringAttribute{
					Required:            true,
					MarkdownDescription: "Name of the request.",
				},
			},
		},
		"timeout": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "How long to wait for the workflow to finish, as a Go duration such as `30s`, `10m` or " +
				"`1h` (default `10m`). Kratix goes on with the workflow after a timeout.",
			Validators: []validator.String{minDuration(time.Second)},
		},
	}
}

func workflowTargetValidators() []action.ConfigValidator {
	return []action.ConfigValidator{actionvalidator.ExactlyOneOf(path.MatchRoot("promise"), path.MatchRoot("request"))}
}

// actionTimeout is the timeout argument, or def when unset. The schema
// validated it.
func actionTimeout(v types.String, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(v.ValueString()); err == nil && !v.IsNull() {
		return d
	}
	return def
}

// workflowTarget is the object an action works on, as read at the start.
type workflowTarget struct {
	gvk             k8sschema.GroupVersionKind
	namespace, name string
	obj             *unstructured.Unstructured
	isPromise       bool
	// attr is the configuration attribute that names the object.
	attr path.Path
}

// String names the object for a person.
func (t *workflowTarget) String() string {
	if t.isPromise {
		return "Promise " + t.name
	}
	return fmt.Sprintf("%s %s/%s", t.gvk.Kind, t.namespace, t.name)
}

// kubectl is the kubectl argument that names the object.
func (t *workflowTarget) kubectl() string {
	if t.isPromise {
		return "promise " + t.name
	}
	return fmt.Sprintf("%s %s -n %s", strings.ToLower(t.gvk.Kind)+"."+t.gvk.Group, t.name, t.namespace)
}

// jobLabels select the object's configure Jobs; jobNamespace is the
// namespace of a request's, "" for a Promise's.
func (t *workflowTarget) jobLabels() (map[string]string, string) {
	if t.isPromise {
		return map[string]string{kratix.LabelWorkflowType: "promise", kratix.LabelPromiseName: t.name}, ""
	}
	return kratix.RequestJobLabelsOf(t.obj), t.namespace
}

func (t *workflowTarget) newWatch(since time.Time, resume bool) *kratix.RunWatch {
	if t.isPromise {
		return kratix.NewPromiseRerun(since, resume)
	}
	return kratix.NewRequestRerun(t.obj.GetGeneration(), since, resume)
}

// resolveTarget reads the object the configuration names and checks that
// it has a configure workflow Kratix can run now. Problems are diagnostics
// on the attribute that names it.
func resolveTarget(ctx context.Context, data *providerData, m *workflowTargetModel, diags *diag.Diagnostics) *workflowTarget {
	t := resolveObject(ctx, data, m, diags)
	if t != nil && t.obj.GetLabels()[kratix.LabelPaused] == "true" {
		diags.AddAttributeError(t.attr, t.String()+" is paused", "Kratix runs no workflow of an object with the label "+
			kratix.LabelPaused+"=true. Remove the label to unpause it, then run the action again:\n  kubectl label "+
			t.kubectl()+" "+kratix.LabelPaused+"-")
		return nil
	}
	return t
}

func resolveObject(ctx context.Context, data *providerData, m *workflowTargetModel, diags *diag.Diagnostics) *workflowTarget {
	if m.Request == nil {
		api, ok := readPromise(ctx, data, m.Promise.ValueString(), path.Root("promise"), diags)
		if !ok {
			return nil
		}
		promise := api.promise
		t := &workflowTarget{gvk: kratix.PromiseGVK, name: promise.GetName(), obj: promise, isPromise: true, attr: path.Root("promise")}
		if len(kratix.PipelineNames(promise, "promise", "configure")) == 0 {
			diags.AddAttributeError(t.attr, "Promise "+t.name+" has no promise configure workflow",
				"Kratix runs no workflow for this Promise itself (spec.workflows.promise.configure is empty). To re-run the "+
					"configure workflows of its resource requests, use the kratix_reconcile_requests action.")
			return nil
		}
		return t
	}
	return resolveRequestTarget(ctx, data, m.Request, diags)
}

func resolveRequestTarget(ctx context.Context, data *providerData, r *requestTargetModel, diags *diag.Diagnostics) *workflowTarget {
	at := path.Root("request")
	t := &workflowTarget{namespace: r.Namespace.ValueString(), name: r.Name.ValueString(), attr: at}
	if r.Namespace.IsNull() {
		t.namespace = data.DefaultNamespace
	}
	var promise *unstructured.Unstructured
	if !r.Promise.IsNull() {
		api, ok := readPromise(ctx, data, r.Promise.ValueString(), at.AtName("promise"), diags)
		if !ok {
			return nil
		}
		if promise = api.promise; !api.published {
			diags.AddAttributeError(at.AtName("promise"), "Promise "+promise.GetName()+" has not published its API",
				"Kratix has not installed the API of this Promise's requests yet (status.apiVersion and status.kind), so "+
					"it has no requests to reconcile. Check it with: kubectl describe promise "+promise.GetName())
			return nil
		}
		t.gvk = api.gvk()
	} else {
		t.gvk = k8sschema.FromAPIVersionAndKind(r.APIVersion.ValueString(), r.Kind.ValueString())
	}
	obj, err := data.Client.Get(ctx, t.gvk, t.namespace, t.name)
	switch {
	case kube.IsNotFound(err) || kube.IsKindNotServed(err):
		diags.AddAttributeError(at.AtName("name"), "No resource request "+t.String(),
			fmt.Sprintf("The API server has no %s named %q in namespace %q (%v). Check request.name and request.namespace "+
				"(which defaults to the provider's default_namespace, %q).", t.gvk.Kind, t.name, t.namespace, err, data.DefaultNamespace))
		return nil
	case err != nil:
		diags.AddError("Cannot read resource request "+t.String(), err.Error())
		return nil
	}
	t.obj = obj
	if name := obj.GetLabels()[kratix.LabelPromiseName]; promise == nil && name != "" {
		promise, _ = data.Client.Get(ctx, kratix.PromiseGVK, "", name)
	}
	if promise != nil && len(kratix.PipelineNames(promise, "resource", "configure")) == 0 {
		diags.AddAttributeError(at, "The requests of Promise "+promise.GetName()+" have no configure workflow",
			"Kratix runs no configure workflow for "+t.String()+" (the Promise's spec.workflows.resource.configure is empty), so there is nothing to re-run.")
		return nil
	}
	return t
}

// readPromise reads a Promise named in the configuration at attr, with
// the API of its requests.
func readPromise(ctx context.Context, data *providerData, name string, attr path.Path, diags *diag.Diagnostics) (promiseRequestAPI, bool) {
	api, err := requestAPI(ctx, data, name, apiLookup{mode: apiRead})
	switch {
	case kube.IsNotFound(err):
		diags.AddAttributeError(attr, "No Promise named "+name, "Check "+attr.String()+". "+promiseNameHint(ctx, data.Client, name))
		return api, false
	case err != nil:
		diags.AddError("Cannot read Promise "+name, err.Error())
		return api, false
	}
	return api, true
}

// followWorkflow waits for the run the action asked for at since,
// streaming each change to the user, and turns the end into diagnostics.
func followWorkflow(ctx context.Context, client *kube.Client, t *workflowTarget, watch *kratix.RunWatch, since time.Time,
	send func(string), diags *diag.Diagnostics) {
	res := kratix.FollowResult{Timeline: kratix.NewTimeline(time.Now())} // local: it measures how long the wait took
	res.Last, res.Err = awaitRun(ctx, client, t, watch, since, func(out kratix.Outcome) {
		if res.Timeline.Note(time.Now(), out.Summary) {
			tflog.Info(ctx, "workflow progress", map[string]any{"object": t.String(), "progress": out.Summary})
			send(t.String() + ": " + out.Summary)
		}
	})
	labels, ns := t.jobLabels()
	res = withFailedRun(ctx, client, res.Decided(ctx.Err()), "configure", labels, ns)
	reportFollow(res, runReport(t, watch.Resuming()), diags)
}

// runReport words how following a run of an object's configure workflow
// ended. After a resumed run fails the object is no longer suspended, so
// the way to run it again is a re-run, not another resume.
func runReport(t *workflowTarget, resume bool) followReport {
	again := "run the action again"
	if resume {
		again = "run the workflow again from the start with the kratix_reconcile action"
	}
	return followReport{
		what: t.String(),
		suspended: func(res kratix.FollowResult) (string, string) {
			return "The workflow of " + t.String() + " suspended itself", fmt.Sprintf("%s.\n\nOnce what it waits for is "+
				"done, resume it with the kratix_resume_workflow action, or with:\n  kubectl label %s %s-%s",
				capitalise(res.Last.Summary), t.kubectl(), kratix.LabelWorkflowSuspended, followHistory(res))
		},
		failed: func(res kratix.FollowResult) (string, string) {
			return "Configure workflow failed for " + t.String(), fmt.Sprintf("%s.%s\n\nFix the cause (the pipeline in the "+
				"Promise, or the request), then %s. Inspect the object with: kubectl describe %s%s",
				capitalise(res.Last.Summary), failedRunText(res), again, t.kubectl(), followHistory(res))
		},
		timedOut: func(res kratix.FollowResult) (string, string) {
			return "Timed out waiting for the configure workflow of " + t.String(), fmt.Sprintf("Last seen: %s. Kratix goes on "+
				"with the workflow. Raise timeout if the pipelines are just slow, or inspect the object with: kubectl describe %s%s",
				res.Last.Summary, t.kubectl(), followHistory(res))
		},
		interrupted: func(res kratix.FollowResult) (string, string) {
			return "Interrupted while waiting for the configure workflow of " + t.String(),
				"Last seen: " + res.Last.Summary + ". Kratix goes on with the workflow."
		},
		errored: func(res kratix.FollowResult) (string, string) {
			return "Cannot follow the configure workflow of " + t.String(), followErr(res)
		},
	}
}

// awaitRun watches the object until the run ends. Every resyncInterval
// without an end it also looks for a configure Job of this run that
// failed: when an object whose last run failed fails again, Kratix leaves
// its conditions as they were and, without pipeline phases in its status
// (older Kratix releases), the object shows nothing.
func awaitRun(ctx context.Context, client *kube.Client, t *workflowTarget, watch *kratix.RunWatch, since time.Time,
	progress func(kratix.Outcome)) (kratix.Outcome, error) {
	labels, ns := t.jobLabels()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, resyncInterval)
		last, err := kratix.FollowRun(waitCtx, client, t.gvk, t.namespace, t.name, watch, progress)
		cancel()
		if err == nil || ctx.Err() != nil || waitCtx.Err() == nil {
			return last, err
		}
		if run, failed := failedRunSince(ctx, client, "configure", labels, ns, since.Truncate(time.Second)); failed {
			return kratix.Outcome{State: kratix.Failed, Pipeline: run.Pipeline,
				Summary: fmt.Sprintf("configure pipeline %q failed: %s", run.Pipeline, run.Message)}, nil
		}
	}
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// progressSender adapts InvokeResponse.SendProgress, which is nil when
// Terraform does not stream progress.
func progressSender(resp *action.InvokeResponse) func(string) {
	return func(msg string) {
		if resp.SendProgress != nil {
			resp.SendProgress(action.InvokeProgressEvent{Message: msg})
		}
	}
}
