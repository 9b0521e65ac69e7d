package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// promise_version binds a request to one version of its Promise through the
// request's ResourceBinding (Kratix of 2026: kratix-api.md §5.6, §9).

// noVersionedPromises explains why what (promise_version, or the
// kratix_promise_revisions data source) cannot work on this cluster.
func noVersionedPromises(what string) string {
	return "This Kratix serves no PromiseRevisions: " + what + " needs a Kratix release of 2026 or later (versioned " +
		"Promises, with PromiseRevisions and ResourceBindings). Remove " + what + ", or upgrade Kratix."
}

// wantedVersion is the configured promise_version, or "" when Kratix picks.
func wantedVersion(m *resourceRequestModel) string {
	if m.PromiseVersion.IsNull() || m.PromiseVersion.IsUnknown() {
		return ""
	}
	return m.PromiseVersion.ValueString()
}

// promiseRevisions lists the revisions of promise. served is false when the
// cluster's Kratix has no PromiseRevisions at all.
func promiseRevisions(ctx context.Context, client *kube.Client, promise string) (revisions []kratix.Revision, served bool, err error) {
	selector := labels.SelectorFromSet(map[string]string{kratix.LabelPromiseName: promise}).String()
	list, err := client.List(ctx, kratix.PromiseRevisionGVK, "", metav1.ListOptions{LabelSelector: selector})
	if kube.IsKindNotServed(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return kratix.Revisions(list.Items), true, nil
}

// checkPlannedVersion refuses at plan a version that no revision of the
// Promise has, listing those there are. A Promise that does not exist yet
// (created in the same apply) is checked at apply.
func (r *resourceRequestResource) checkPlannedVersion(ctx context.Context, promise, version string, diags *diag.Diagnostics) {
	at := path.Root("promise_version")
	revisions, served, err := promiseRevisions(ctx, r.data.Client, promise)
	switch {
	case err != nil:
		diags.AddAttributeWarning(at, "Promise version not checked at plan time", fmt.Sprintf(
			"Cannot list the revisions of Promise %q (%v), so promise_version %q is checked at apply.", promise, err, version))
	case !served:
		diags.AddAttributeError(at, "Promise versions not available", noVersionedPromises("promise_version"))
	case len(revisions) == 0:
		diags.AddAttributeWarning(at, "Promise version not checked at plan time", fmt.Sprintf(
			"Promise %q has no revisions on the cluster yet (it may be created in this apply), so promise_version %q "+
				"is checked at apply.", promise, version))
	default:
		if err := kratix.CheckVersion(promise, version, revisions); err != nil {
			diags.AddAttributeError(at, "No such Promise version", capitalized(err.Error())+
				". Set promise_version to one of them, or remove it to let Kratix pick (the latest version by default). "+
				"If this apply gives the Promise that version, apply the Promise first "+
				"(terraform apply -target=ADDRESS_OF_THE_PROMISE), then the request.")
		}
	}
}

// requestBinding finds the ResourceBinding of a request; nil when it has
// none yet.
func requestBinding(ctx context.Context, client *kube.Client, m *resourceRequestModel) (*unstructured.Unstructured, error) {
	selector := labels.SelectorFromSet(kratix.BindingLabels(m.Promise.ValueString(), m.Name.ValueString())).String()
	list, err := client.List(ctx, kratix.ResourceBindingGVK, m.Namespace.ValueString(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	switch len(list.Items) {
	case 0:
		return nil, nil
	case 1:
		return &list.Items[0], nil
	default:
		return nil, fmt.Errorf("%d ResourceBindings in namespace %s carry the labels of %s; Kratix expects one. Delete the extra ones: "+
			"kubectl get resourcebindings -n %s -l %s", len(list.Items), m.Namespace.ValueString(), describeRequest(m), m.Namespace.ValueString(), selector)
	}
}

// bindVersion makes the request's binding ask for version, before the
// request is written: a new request gets a binding Kratix adopts, so its
// first run is at that version; an existing one has its binding's
// spec.version changed, which makes Kratix re-run its workflow at that
// version. A version whose last attempt failed is asked for again (Kratix
// would not retry it on its own). created reports a binding this call made.
func (r *resourceRequestResource) bindVersion(ctx context.Context, m *resourceRequestModel, version string) (created *unstructured.Unstructured, err error) {
	revisions, served, err := promiseRevisions(ctx, r.data.Client, m.Promise.ValueString())
	if err != nil {
		return nil, err
	}
	if !served {
		return nil, errors.New(noVersionedPromises("promise_version"))
	}
	if err := kratix.CheckVersion(m.Promise.ValueString(), version, revisions); err != nil {
		return nil, err
	}
	binding, err := requestBinding(ctx, r.data.Client, m)
	if err != nil {
		return nil, err
	}
	opts := kube.WriteOptions{FieldManager: r.data.FieldManager}
	if binding == nil {
		b := kratix.NewBinding(m.Namespace.ValueString(), m.Promise.ValueString(), m.Name.ValueString(), version)
		return r.data.Client.Create(ctx, b, opts)
	}
	current := kratix.ReadBinding(binding)
	patch := map[string]any{"spec": map[string]any{"version": version}}
	switch {
	case current.Desired == version && current.Failed == version:
		patch["metadata"] = map[string]any{"labels": map[string]any{kratix.LabelManualReconciliation: "true"}}
	case current.Desired == version:
		return nil, nil // already asked for
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return nil, err
	}
	tflog.Debug(ctx, "binding resource request to a Promise version", map[string]any{
		"request": describeRequest(m), "version": version, "binding": binding.GetName(), "was": current.Desired})
	_, err = r.data.Client.MergePatch(ctx, kratix.ResourceBindingGVK, binding.GetNamespace(), binding.GetName(), body, opts)
	return nil, err
}

// followUpgrade waits until the request's binding reports version applied,
// or failed; applied is the version the request runs when it ends.
func (r *resourceRequestResource) followUpgrade(ctx context.Context, m *resourceRequestModel, version string) (res kratix.FollowResult, applied string) {
	binding, err := requestBinding(ctx, r.data.Client, m)
	if err == nil && binding == nil {
		err = errors.New("kratix has made no ResourceBinding for it yet")
	}
	if err != nil {
		return kratix.FollowResult{Err: err}.Decided(ctx.Err()), ""
	}
	var last kratix.Outcome
	_, err = r.data.Client.WaitFor(ctx, kratix.ResourceBindingGVK, binding.GetNamespace(), binding.GetName(), func(obj *unstructured.Unstructured) (bool, error) {
		if obj == nil {
			return false, fmt.Errorf("its ResourceBinding %s/%s was deleted", binding.GetNamespace(), binding.GetName())
		}
		b := kratix.ReadBinding(obj)
		applied = b.LastApplied
		last = upgradeOutcome(b, version)
		return last.State != kratix.Waiting, nil
	})
	res = kratix.FollowResult{Last: last, Err: err}.Decided(ctx.Err())
	return withFailedRun(ctx, r.data.Client, res, "configure", kratix.RequestJobLabels(m.Promise.ValueString(), m.Name.ValueString()), m.Namespace.ValueString()), applied
}

// upgradeOutcome is where the move to version stands, as an observation.
func upgradeOutcome(b kratix.Binding, version string) kratix.Outcome {
	verdict, message := b.Verdict(version)
	switch verdict {
	case kratix.UpgradeDone:
		return kratix.Outcome{State: kratix.Done, Summary: "version " + version + " applied"}
	case kratix.UpgradeFailed:
		return kratix.Outcome{State: kratix.Failed, Summary: message}
	default:
		return kratix.Outcome{State: kratix.Waiting, Summary: fmt.Sprintf("the request runs version %q; Kratix says %q", b.LastApplied, message)}
	}
}

// upgradeReport words how a move to version ended.
func upgradeReport(m *resourceRequestModel, version, applied string) followReport {
	who := describeRequest(m)
	inspect := fmt.Sprintf("kubectl get resourcebindings -n %s -l %s", m.Namespace.ValueString(),
		labels.SelectorFromSet(kratix.BindingLabels(m.Promise.ValueString(), m.Name.ValueString())))
	return followReport{
		what: "the move of resource request " + who + " to Promise version " + version,
		failed: func(res kratix.FollowResult) (string, string) {
			return fmt.Sprintf("Upgrade of %s to Promise version %s failed", who, version), fmt.Sprintf(
				"Kratix ran the configure workflow of version %s for %s and it failed: %s%s\n\n"+
					"The request still runs version %q. Fix the cause (the pipeline of version %s, or the request's spec), "+
					"then apply again: the plan still shows the change, and the apply asks Kratix to try version %s again. "+
					"The binding: %s", version, who, res.Last.Summary, failedRunText(res), applied, version, version, inspect)
		},
		timedOut: func(res kratix.FollowResult) (string, string) {
			return fmt.Sprintf("Upgrade of %s to Promise version %s did not finish", who, version), fmt.Sprintf(
				"Last seen: %s. Raise the timeouts block if the pipeline is just slow, or inspect the binding: %s", res.Last.Summary, inspect)
		},
	}
}

// unbind deletes a binding made for a request whose creation then failed.
func (r *resourceRequestResource) unbind(ctx context.Context, binding *unstructured.Unstructured) {
	err := r.data.Client.Delete(ctx, kratix.ResourceBindingGVK, binding.GetNamespace(), binding.GetName(), metav1.DeleteOptions{})
	if err != nil && !kube.IsNotFound(err) {
		tflog.Warn(ctx, "cannot delete the ResourceBinding made for a request that was not created", map[string]any{
			"namespace": binding.GetNamespace(), "name": binding.GetName(), "error": err.Error()})
	}
}

// awaitUpgrade follows the move to version and records the request as it
// ends; it reports whether the move did not finish. Then the state keeps
// the version the request still runs, so the next plan shows the change.
func (r *resourceRequestResource) awaitUpgrade(ctx context.Context, plan *resourceRequestModel, gvk schema.GroupVersionKind, version string, state *tfsdk.State, diags *diag.Diagnostics) (unfinished bool) {
	res, applied := r.followUpgrade(ctx, plan, version)
	if obj, err := r.data.Client.Get(ctx, gvk, plan.Namespace.ValueString(), plan.Name.ValueString()); err == nil {
		r.recordApplied(ctx, plan, obj, state, diags)
	}
	if res.Ending != kratix.EndDone && applied != "" && applied != version {
		diags.Append(state.SetAttribute(ctx, path.Root("promise_version"), types.StringValue(applied))...)
	}
	return reportFollow(res, upgradeReport(plan, version, applied), diags)
}

// capitalized starts an error's text with a capital, to open a diagnostic.
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
