package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// applyAndWait server-side applies the request, records it in state at once
// (so a failed or timed-out wait leaves it tracked, and Terraform taints it
// instead of orphaning it), then waits for the workflow of this generation.
// adopt forces ownership of the fields the configuration sets: the first
// change after an import takes over from the tool that created the object.
// rerun asks Kratix to run the workflow again when the spec is unchanged:
// the last apply did not see it finish. It reports whether the object was
// written but its workflow did not finish (failed, timed out, interrupted).
func (r *resourceRequestResource) applyAndWait(ctx context.Context, plan, prior *resourceRequestModel, adopt, rerun bool, state *tfsdk.State, diags *diag.Diagnostics) (unfinished bool) {
	if !requireKnownConfig(r.data, diags) {
		return false
	}
	if plan.Namespace.IsUnknown() || plan.Namespace.IsNull() {
		plan.Namespace = types.StringValue(r.data.DefaultNamespace)
	}
	gvk, err := r.resolveGVK(ctx, plan)
	if err != nil {
		diags.AddError("Cannot resolve the request's API", err.Error())
		return false
	}
	obj, err := buildRequest(plan, gvk)
	if err != nil {
		diags.AddAttributeError(path.Root("spec"), "Invalid spec", err.Error())
		return false
	}
	// The binding, not the state, says which version Kratix is asked for:
	// after a failed move the request still runs the old version, but its
	// binding asks for the new one.
	version := wantedVersion(plan)
	var madeBinding *unstructured.Unstructured
	if version != "" {
		if madeBinding, err = r.bindVersion(ctx, plan, version); err != nil {
			diags.AddAttributeError(path.Root("promise_version"), "Cannot bind "+describeRequest(plan)+" to Promise version "+version,
				err.Error()+"\n\nNothing was written.")
			return false
		}
	}
	applied, err := applyOwned(ctx, r.data, obj, prior == nil, forceWanted(plan.ForceConflicts, adopt))
	if err != nil && madeBinding != nil {
		r.unbind(ctx, madeBinding)
	}
	if isMissingNamespace(err, plan.Namespace.ValueString()) {
		diags.AddAttributeError(path.Root("namespace"), "Namespace not found", fmt.Sprintf(
			"Namespace %q does not exist, so resource request %s cannot be created in it. Nothing was written.\n\n"+
				"If this configuration creates the namespace, make the request refer to it (namespace = "+
				"kubernetes_namespace.NAME.metadata[0].name) or depend on it, so that Terraform creates it first; "+
				"otherwise set namespace to one that exists.", plan.Namespace.ValueString(), describeRequest(plan)))
		return false
	}
	if err != nil {
		addApplyError(diags, "Resource request "+describeRequest(plan), "kratix_resource_request", requestID(plan), err)
		return false
	}
	tflog.Debug(ctx, "applied resource request", map[string]any{"id": plan.ID.ValueString(), "generation": applied.GetGeneration()})
	r.recordApplied(ctx, plan, applied, state, diags)
	if diags.HasError() {
		return false
	}
	if plan.WaitFor.ValueString() == waitNone {
		recordPlacements(ctx, r.data, requestWorkSelector(applied, plan.Promise), state, diags)
		return false
	}
	rerunning := rerun && sameRequestObject(plan, prior)
	if version != "" && prior != nil && sameRequestObject(plan, prior) && !rerunning {
		// Only the version moves: Kratix re-runs the workflow because the
		// binding changed, and the binding says when that is over.
		return r.awaitUpgrade(ctx, plan, gvk, version, state, diags)
	}
	startedAt := r.data.writtenAt(applied)
	if rerunning {
		askedAt, err := requestRerun(ctx, r.data.Client, r.data.FieldManager, gvk, applied)
		if err != nil {
			diags.AddError("Cannot re-run the configure workflow of "+describeRequest(plan), err.Error())
			return true
		}
		startedAt = askedAt
	}
	watch := &kratix.RequestWatch{
		Generation: applied.GetGeneration(), AppliedAt: startedAt, Created: prior == nil,
		Delivered: plan.WaitFor.ValueString() == waitDelivered, Rerun: rerunning,
	}
	if prior != nil {
		// Our write leaves the status as it was: the request as Kratix
		// left it before this update or re-run.
		watch.Baseline(applied)
	}
	res := r.followConfigure(ctx, plan, gvk, watch, newPickupGuard(r.data.Client, applied, plan.Promise.ValueString()))
	if res.Object != nil {
		r.recordApplied(ctx, plan, res.Object, state, diags)
		applied = res.Object // labelled with its Promise by now
	}
	recordPlacements(ctx, r.data, requestWorkSelector(applied, plan.Promise), state, diags)
	if reportFollow(res, configureReport(plan, watch, prior == nil), diags) {
		return true
	}
	if version != "" {
		return r.awaitUpgrade(ctx, plan, gvk, version, state, diags)
	}
	return false
}

// sameRequestObject reports whether an update sends the request nothing
// new, so Kratix would not run its workflow on its own.
func sameRequestObject(plan, prior *resourceRequestModel) bool {
	return prior != nil && plan.Spec.Equal(prior.Spec) && plan.Labels.Equal(prior.Labels) && plan.Annotations.Equal(prior.Annotations)
}

// recordApplied stores the object's computed fields next to the planned
// configuration, which stays exactly as planned (Terraform requires that).
func (r *resourceRequestResource) recordApplied(ctx context.Context, plan *resourceRequestModel, obj *unstructured.Unstructured, state *tfsdk.State, diags *diag.Diagnostics) {
	configured := *plan
	r.fillFromObject(ctx, &configured, obj)
	configured.Spec, configured.Labels, configured.Annotations = plan.Spec, plan.Labels, plan.Annotations
	if wantedVersion(plan) != "" {
		configured.PromiseVersion = plan.PromiseVersion // until the binding says otherwise
	}
	if configured.Placements.IsUnknown() {
		configured.Placements = types.ListNull(placementObjectType) // read once the wait is over
	}
	diags.Append(state.Set(ctx, &configured)...)
}

// followConfigure follows the request's configure workflow of the applied
// generation (and, with wait_for = delivered, the delivery of its output)
// until it settles, logging each change.
func (r *resourceRequestResource) followConfigure(ctx context.Context, plan *resourceRequestModel, gvk schema.GroupVersionKind, watch *kratix.RequestWatch, pickup *pickupGuard) kratix.FollowResult {
	res := kratix.FollowResult{Timeline: kratix.NewTimeline(time.Now())}
	who, ns := describeRequest(plan), plan.Namespace.ValueString()
	guard := newScheduleGuard(r.data.Client)
	pickup.follow(ctx, &res, func(ctx context.Context) {
		res.Undeliverable = guard.run(ctx, func(ctx context.Context) {
			res.Err = followRequest(ctx, r.data.Client, gvk, ns, plan.Name.ValueString(), watch, func(obj *unstructured.Unstructured, out kratix.Outcome) {
				res.Last, res.Object = out, obj
				guard.observe(obj, res.Last)
				pickup.observe(obj)
				if res.Timeline.Note(time.Now(), res.Last.Summary) {
					tflog.Info(ctx, "resource request workflow progress", map[string]any{
						"request": who, "generation": watch.Generation, "progress": res.Last.Summary, "elapsed": res.Timeline.Elapsed().Round(time.Second).String(),
					})
				}
			})
		})
	})
	return withFailedRun(ctx, r.data.Client, res, "configure", kratix.RequestJobLabelsOf(res.Object), ns)
}

// configureReport words how following a request's configure workflow
// ended; watch gives the generation it followed.
func configureReport(plan *resourceRequestModel, watch *kratix.RequestWatch, created bool) followReport {
	who, ns, name := describeRequest(plan), plan.Namespace.ValueString(), plan.Name.ValueString()
	return followReport{
		what:   "resource request " + who,
		advice: nextApplyAdvice("request", created),
		undeliverable: func(res kratix.FollowResult) (string, string) {
			return "Cannot deliver " + who, fmt.Sprintf("The configure workflow for generation %d finished. %s%s",
				watch.Generation, res.Undeliverable, followHistory(res))
		},
		failed: func(res kratix.FollowResult) (string, string) {
			return "Configure workflow failed for " + who, fmt.Sprintf("Kratix ran the configure workflow for generation %d of %s and %s.%s\n\n"+
				"Fix the cause (the request's spec, or the Promise's pipeline). The pipeline's Jobs:\n"+
				"  kubectl get jobs -n %s -l kratix.io/resource-name=%s,kratix.io/workflow-action=configure%s",
				watch.Generation, who, res.Last.Summary, failedRunText(res), ns, name, followHistory(res))
		},
		timedOut: func(res kratix.FollowResult) (string, string) {
			stage := fmt.Sprintf("its configure workflow for generation %d did not finish in time", watch.Generation)
			inspect := "the pipeline is just slow, or inspect its Jobs: kubectl get jobs"
			if res.Last.Delivering {
				stage = fmt.Sprintf("its configure workflow for generation %d finished, but its output was not delivered to its Destinations in time", watch.Generation)
				inspect = "the state store is just slow, or inspect its Works: kubectl get works"
			}
			return "Timed out waiting for " + who, fmt.Sprintf("The request was applied but %s. Last seen: %s.\n\nRaise the timeouts block if %s -n %s -l kratix.io/resource-name=%s%s",
				stage, res.Last.Summary, inspect, ns, name, followHistory(res))
		},
		interrupted: func(res kratix.FollowResult) (string, string) {
			return "Interrupted while waiting for " + who, fmt.Sprintf("The request was applied, but the wait for its configure workflow "+
				"(generation %d) was interrupted. Last seen: %s.", watch.Generation, res.Last.Summary)
		},
		errored: func(res kratix.FollowResult) (string, string) { return "Error waiting for " + who, followErr(res) },
	}
}

// resolveGVK finds the request's kind: from the configuration, or from the
// Promise's status, waiting (within the timeout) for a Promise created in
// the same apply to publish its API and for that API to be served.
func (r *resourceRequestResource) resolveGVK(ctx context.Context, m *resourceRequestModel) (schema.GroupVersionKind, error) {
	if !m.Promise.IsNull() && (m.Kind.IsUnknown() || m.Kind.IsNull() || m.APIVersion.IsUnknown() || m.APIVersion.IsNull()) {
		api, err := requestAPI(ctx, r.data, m.Promise.ValueString(), apiLookup{mode: apiAwait})
		if err != nil {
			return schema.GroupVersionKind{}, err
		}
		m.APIVersion, m.Kind = types.StringValue(api.apiVersion), types.StringValue(api.kind)
	}
	gvk := schema.FromAPIVersionAndKind(m.APIVersion.ValueString(), m.Kind.ValueString())
	if _, err := r.data.Client.WaitForKind(ctx, gvk); err != nil {
		r.data.promiseAPIs.forget(m.Promise.ValueString())
		return gvk, fmt.Errorf("the API %s %s is not served yet: %w", gvk.GroupVersion(), gvk.Kind, err)
	}
	m.ID = types.StringValue(requestID(m))
	return gvk, nil
}

// readCurrent reads the request for a refresh or an import. It reports the
// request gone (with the reason) only when the API server confirms it: a
// 404 of the object, or of its Promise (deleting a Promise deletes its
// requests). A kind that is not served, right after an API server restart
// or while a Promise reinstalls its CRD, is waited for within ctx; anything
// else is an error, so a transient answer never drops the request.
//
// With a Promise, the request is read under the Promise's current API
// version, so a Promise that moved its API to a new version moves its
// requests' api_version with it.
func (r *resourceRequestResource) readCurrent(ctx context.Context, m *resourceRequestModel) (obj *unstructured.Unstructured, gone string, err error) {
	if !m.Promise.IsNull() {
		api, err := requestAPI(ctx, r.data, m.Promise.ValueString(), apiLookup{mode: apiNow})
		switch {
		case isNotFound(err):
			return nil, fmt.Sprintf("its Promise %q no longer exists", m.Promise.ValueString()), nil
		case err != nil:
			return nil, "", err
		case api.kind != "":
			m.APIVersion, m.Kind = types.StringValue(api.apiVersion), types.StringValue(api.kind)
		}
	}
	if m.Kind.ValueString() == "" || m.APIVersion.ValueString() == "" {
		return nil, "", fmt.Errorf("promise %q has not published its API (status.apiVersion, status.kind) yet and its spec.api names no "+
			"group, kind and storage version, so the request cannot be read", m.Promise.ValueString())
	}
	gvk := schema.FromAPIVersionAndKind(m.APIVersion.ValueString(), m.Kind.ValueString())
	ns, name := m.Namespace.ValueString(), m.Name.ValueString()
	obj, err = r.data.Client.GetForRefresh(ctx, gvk, ns, name)
	if kube.IsKindNotServed(err) {
		return nil, "", fmt.Errorf("the API of this request (%s %s) is not served, so the request cannot be read: %w\n\n"+
			"If the API was removed on purpose and the request is gone with it, remove it from the state with "+
			"terraform state rm", gvk.Kind, gvk.GroupVersion(), err)
	}
	if isNotFound(err) {
		return nil, "the object no longer exists", nil
	}
	return obj, "", err
}

// fillFromObject copies what the cluster says into the model. Spec, labels
// and annotations are projected onto the fields the configuration manages.
func (r *resourceRequestResource) fillFromObject(ctx context.Context, m *resourceRequestModel, obj *unstructured.Unstructured) {
	importing := m.UID.IsNull() || m.UID.IsUnknown()
	m.APIVersion, m.Kind = types.StringValue(obj.GetAPIVersion()), types.StringValue(obj.GetKind())
	m.Namespace, m.Name = types.StringValue(obj.GetNamespace()), types.StringValue(obj.GetName())
	if m.Promise.IsNull() && importing {
		if p := obj.GetLabels()[kratix.LabelPromiseName]; p != "" && strings.Count(m.ID.ValueString(), "/") == 2 {
			m.Promise = types.StringValue(p)
		}
	}
	m.ID = types.StringValue(requestID(m))
	m.UID = types.StringValue(string(obj.GetUID()))
	m.Spec = projectedSpec(ctx, obj, m.Spec, importing)
	m.Labels = projectedStringMap(obj, obj.GetLabels(), m.Labels, "labels", importing)
	m.Annotations = projectedStringMap(obj, obj.GetAnnotations(), m.Annotations, "annotations", importing)
	observed, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	m.ObservedGeneration = types.Int64Value(observed)
	msg, _, _ := unstructured.NestedString(obj.Object, "status", "message")
	m.Message = types.StringValue(msg)
	m.Status = statusValue(ctx, obj)
	m.Conditions = conditionStatusMap(obj)
	m.Workflows = pipelinePhaseMap(obj)
	m.PromiseVersion = types.StringNull()
	if v := kratix.RequestVersion(obj); v != "" {
		m.PromiseVersion = types.StringValue(v)
	}
}

func (r *resourceRequestResource) deleteAndWait(ctx context.Context, m *resourceRequestModel, diags *diag.Diagnostics) {
	gvk := schema.FromAPIVersionAndKind(m.APIVersion.ValueString(), m.Kind.ValueString())
	ns, name := m.Namespace.ValueString(), m.Name.ValueString()
	if r.goneWithPromise(ctx, m, gvk) {
		tflog.Info(ctx, "the request's Promise and API are gone, so the request is too", map[string]any{"request": describeRequest(m)})
		return
	}
	deleteSent := r.data.Client.ServerNow().Add(-time.Second)
	if err := r.data.Client.Delete(ctx, gvk, ns, name, deleteOptions()); err != nil {
		// The Promise's deletion may have removed the kind since the check.
		if kube.IsKindNotServed(err) && r.goneWithPromise(ctx, m, gvk) {
			tflog.Info(ctx, "the request's Promise and API went during the destroy, so the request did too", map[string]any{"request": describeRequest(m)})
			return
		}
		diags.AddError("Cannot delete resource request "+describeRequest(m), err.Error())
		return
	}
	jobLabels := kratix.RequestJobLabels(m.Promise.ValueString(), name)
	if m.Promise.IsNull() { // a request by api_version and kind: its Promise is not known here
		delete(jobLabels, kratix.LabelPromiseName)
	}
	res := followDeletion(ctx, r.data.Client, r.data.FieldManager, gvk, ns, name, deleteSent, jobLabels)
	reportFollow(res, requestDeletionReport(m, gvk), diags)
}

// requestDeletionReport words how following a request's deletion ended.
func requestDeletionReport(m *resourceRequestModel, gvk schema.GroupVersionKind) followReport {
	who, ns, name := describeRequest(m), m.Namespace.ValueString(), m.Name.ValueString()
	return followReport{
		what: "resource request " + who,
		failed: func(res kratix.FollowResult) (string, string) {
			return "Delete workflow failed for " + who, fmt.Sprintf("%s.%s\n\nKratix keeps the request until its delete "+
				"pipeline succeeds. Fix the pipeline (update the Promise), then run terraform destroy (or apply) again: the "+
				"provider re-runs the delete pipeline by labelling the request, as you could yourself with:\n  kubectl label %s %s -n %s %s=true",
				res.Last.Summary, failedRunText(res), strings.ToLower(gvk.Kind), name, ns, kratix.LabelManualReconciliation)
		},
		timedOut: func(res kratix.FollowResult) (string, string) {
			return "Timed out deleting resource request " + who, fmt.Sprintf("Last seen: %s. The delete was requested; Kratix "+
				"may still finish it. Raise timeouts.delete or inspect the delete pipeline's Jobs: kubectl get jobs -n %s -l "+
				"kratix.io/resource-name=%s,kratix.io/workflow-action=delete\n\n%s", res.Last.Summary, ns, name, followErr(res))
		},
		errored: func(res kratix.FollowResult) (string, string) {
			return "Cannot follow the deletion of resource request " + who, fmt.Sprintf("The delete was requested, but the "+
				"provider could not confirm that the request is gone: %s\n\nRun terraform destroy again once the cluster "+
				"answers; the request stays in the state until then.", followErr(res))
		},
	}
}

// goneWithPromise reports whether the request went with its Promise: its
// kind is no longer served and the API server confirms that the Promise is
// gone (404) or going (deletionTimestamp). Deleting a Promise deletes its
// requests and only then its API, so nothing is left to delete or wait
// for. A kind that is only briefly unserved (an API server restart) still
// has its Promise, not being deleted.
func (r *resourceRequestResource) goneWithPromise(ctx context.Context, m *resourceRequestModel, gvk schema.GroupVersionKind) bool {
	if m.Promise.IsNull() {
		return false
	}
	if _, err := r.data.Client.Mapping(ctx, gvk); !kube.IsKindNotServed(err) {
		return false
	}
	promise, err := r.data.Client.Get(ctx, kratix.PromiseGVK, "", m.Promise.ValueString())
	return isNotFound(err) || (err == nil && promise.GetDeletionTimestamp() != nil)
}

// describeRequest names a request for messages: "redis default/cache", or
// "redis cache (namespace known after apply)" at plan.
func describeRequest(m *resourceRequestModel) string {
	kind := m.Kind.ValueString()
	if kind == "" || m.Kind.IsUnknown() {
		kind = m.Promise.ValueString()
	}
	name := m.Name.ValueString()
	if m.Name.IsUnknown() {
		name = "(name known after apply)"
	}
	if m.Namespace.IsUnknown() || m.Namespace.ValueString() == "" {
		return fmt.Sprintf("%s %s (namespace known after apply)", kind, name)
	}
	return fmt.Sprintf("%s %s/%s", kind, m.Namespace.ValueString(), name)
}
