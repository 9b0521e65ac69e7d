package provider

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/fieldmask"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

func promiseGVK() schema.GroupVersionKind { return kratix.PromiseGVK }

// applyAndWait applies the Promise, records it in state at once, then waits
// until it is usable (unless wait = false). rerun asks Kratix to run the
// workflow of an unchanged Promise again. It reports whether the Promise was
// written but did not become usable (failed, timed out, interrupted).
func (r *promiseResource) applyAndWait(ctx context.Context, plan, prior *promiseModel, adopted, rerun bool, state *tfsdk.State, diags *diag.Diagnostics) (unfinished bool) {
	if !requireKnownConfig(r.data, diags) {
		return false
	}
	obj, err := buildPromise(plan)
	if err != nil {
		diags.AddError("Invalid Promise configuration", err.Error())
		return false
	}
	if !r.checkAPIOnServer(ctx, plan.Name.ValueString(), obj, diags) {
		return false
	}
	r.data.promiseAPIs.forget(plan.Name.ValueString())
	r.data.missingPromises.Delete(plan.Name.ValueString()) // it exists from now on
	specUpdated := prior != nil && promiseSpecChanged(plan, prior)
	specChanged := prior == nil || specUpdated
	requestsRerun := specUpdated && plan.Wait.ValueBool() && plan.WaitForRequests.ValueBool()
	var rerunFollow *kratix.RequestsRerun
	if requestsRerun {
		rerunFollow = r.requestsBeforeUpdate(ctx, obj)
	}
	applied, err := r.writeIfChanged(ctx, obj, plan, prior, adopted)
	if err != nil {
		addApplyError(diags, "Promise "+plan.Name.ValueString(), "kratix_promise", plan.Name.ValueString(), err)
		return false
	}
	startedAt := r.data.writtenAt(applied)
	if rerunFollow != nil {
		rerunFollow.Since = startedAt
	}
	tflog.Debug(ctx, "applied promise", map[string]any{"name": plan.Name.ValueString(), "generation": applied.GetGeneration()})
	r.recordApplied(ctx, plan, applied, state, diags)
	if diags.HasError() {
		return false
	}
	if !plan.Wait.ValueBool() {
		r.recordPlacements(ctx, plan, state, diags)
		return false
	}
	if rerun && !specChanged {
		askedAt, err := requestRerun(ctx, r.data.Client, r.data.FieldManager, promiseGVK(), applied)
		if err != nil {
			diags.AddError("Cannot re-run the workflow of Promise "+plan.Name.ValueString(), err.Error())
			return true
		}
		startedAt, specChanged = askedAt, true
	}
	watch := &kratix.PromiseWatch{
		AppliedAt:             startedAt,
		SpecChanged:           specChanged,
		HasConfigurePipelines: len(kratix.PipelineNames(obj, "promise", "configure")) > 0,
		Version:               applied.GetLabels()[kratix.LabelPromiseVersion],
		RequestsGeneration:    kratix.RequestsGenerationOf(applied, specUpdated),
	}
	res := r.followUsable(ctx, plan.Name.ValueString(), watch, newPickupGuard(r.data.Client, applied, plan.Name.ValueString()))
	if res.Object != nil {
		r.recordApplied(ctx, plan, res.Object, state, diags)
	}
	r.recordPlacements(ctx, plan, state, diags)
	if reportFollow(res, usableReport(plan.Name.ValueString(), prior == nil), diags) {
		return true
	}
	if requestsRerun {
		r.awaitRequestsRerun(ctx, res.Object, rerunFollow, diags)
	}
	return false
}

// writeIfChanged applies the Promise, unless an update changes nothing
// Kratix sees (only timeouts, wait or force_destroy, say, or only manifest
// on the first apply after an import): then it only reads the Promise back.
// Applying an unchanged Promise is not free: the API server raises the
// generation of one whose API carries the `creationTimestamp: null` that
// generated CRDs have at every apply (checked with kubectl apply
// --server-side on the corpus runtime Promise), and a new generation makes
// Kratix reconcile every request of the Promise. An imported Promise stays
// marked as adopted until an update writes it (see Update), so the first
// real change still takes its fields over.
func (r *promiseResource) writeIfChanged(ctx context.Context, obj *unstructured.Unstructured, plan, prior *promiseModel, adopted bool) (*unstructured.Unstructured, error) {
	if prior != nil && promiseObjectUnchanged(plan, prior) {
		tflog.Debug(ctx, "promise unchanged; not writing it", map[string]any{"name": plan.Name.ValueString()})
		return r.data.Client.Get(ctx, promiseGVK(), "", plan.Name.ValueString())
	}
	return applyOwned(ctx, r.data, obj, prior == nil, forceWanted(plan.ForceConflicts, adopted))
}

// promiseSpecChanged compares the spec the plan and the prior state
// describe. The generation cannot tell: see writeIfChanged.
func promiseSpecChanged(plan, prior *promiseModel) bool {
	planSpec, errPlan := promiseSpec(plan)
	priorSpec, errPrior := promiseSpec(prior)
	return errPlan != nil || errPrior != nil || !reflect.DeepEqual(planSpec, priorSpec)
}

// promiseObjectUnchanged says the plan writes the same labels,
// annotations and spec as the prior state holds.
func promiseObjectUnchanged(plan, prior *promiseModel) bool {
	planObj, errPlan := buildPromise(plan)
	priorObj, errPrior := buildPromise(prior)
	return errPlan == nil && errPrior == nil && reflect.DeepEqual(planObj.Object, priorObj.Object)
}

// checkAPIOnServer dry-runs the Promise's API as a CustomResourceDefinition,
// as Kratix's admission webhook does (kratix-api.md §3.5: a dry-run create,
// or a dry-run update when the CRD exists). An invalid CRD is then a
// diagnostic on `api` before anything is written, rather than a Promise
// that never becomes Available. Without permission to dry-run CRDs the
// check is left to Kratix's webhook.
func (r *promiseResource) checkAPIOnServer(ctx context.Context, name string, promise *unstructured.Unstructured, diags *diag.Diagnostics) bool {
	api, ok, _ := unstructured.NestedMap(promise.Object, "spec", "api")
	if !ok {
		return true
	}
	err := r.dryRunCRD(ctx, &unstructured.Unstructured{Object: api})
	switch {
	case err == nil:
		return true
	case kube.IsForbidden(err):
		tflog.Debug(ctx, "cannot dry-run the Promise's API; leaving CRD validation to Kratix's webhook", map[string]any{"promise": name, "error": err.Error()})
		return true
	case !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err):
		diags.AddError("Cannot check the API of Promise "+name, fmt.Sprintf("Dry-running spec.api as a CustomResourceDefinition failed: %v", err))
		return false
	}
	diags.AddAttributeError(path.Root("api"), "The Promise's API is not a valid CustomResourceDefinition",
		fmt.Sprintf("Promise %q: the API server rejected spec.api in a dry run, as Kratix's admission webhook would:\n\n%v\n\n"+
			"Fix the CRD in api and apply again. Nothing was written.", name, err))
	return false
}

// dryRunCRD creates the CRD in dry-run mode, or updates it when it exists.
// Like Kratix, it sends the CRD as apiextensions/v1 whatever it says.
func (r *promiseResource) dryRunCRD(ctx context.Context, crd *unstructured.Unstructured) error {
	crd.SetAPIVersion(crdGVK.GroupVersion().String())
	crd.SetKind(crdGVK.Kind)
	opts := kube.WriteOptions{FieldManager: r.data.FieldManager, DryRun: true}
	_, err := r.data.Client.Create(ctx, crd, opts)
	if !kube.IsAlreadyExists(err) {
		return err
	}
	existing, err := r.data.Client.Get(ctx, crdGVK, "", crd.GetName())
	if err != nil {
		return err
	}
	crd.SetResourceVersion(existing.GetResourceVersion())
	_, err = r.data.Client.Update(ctx, crd, opts)
	return err
}

var crdGVK = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

func (r *promiseResource) recordApplied(ctx context.Context, plan *promiseModel, obj *unstructured.Unstructured, state *tfsdk.State, diags *diag.Diagnostics) {
	configured := *plan
	r.fillFromObject(ctx, &configured, obj)
	// The configuration is the truth for what the user set; Read shows
	// drift later if the cluster disagrees.
	configured.Labels, configured.Annotations = plan.Labels, plan.Annotations
	configured.API, configured.Workflows, configured.Dependencies = plan.API, plan.Workflows, plan.Dependencies
	configured.DestinationSelectors, configured.RequiredPromises = plan.DestinationSelectors, plan.RequiredPromises
	configured.PipelineNamespace, configured.ReconciliationInterval, configured.Version = plan.PipelineNamespace, plan.ReconciliationInterval, plan.Version
	if configured.Placements.IsUnknown() {
		configured.Placements = types.ListNull(placementObjectType) // read once the wait is over
	}
	diags.Append(state.Set(ctx, &configured)...)
}

func (r *promiseResource) recordPlacements(ctx context.Context, plan *promiseModel, state *tfsdk.State, diags *diag.Diagnostics) {
	recordPlacements(ctx, r.data, kratix.WorkSelector{Promise: plan.Name.ValueString()}, state, diags)
}

// followUsable follows the Promise until it is usable: Available, with
// its promise configure workflow (if any) of this apply completed and,
// where Kratix keeps PromiseRevisions, the revision of its version settled
// (watch decides). The Promise is watched; its revisions, which change
// without the Promise changing, are read while only they are awaited.
func (r *promiseResource) followUsable(ctx context.Context, name string, watch *kratix.PromiseWatch, pickup *pickupGuard) kratix.FollowResult {
	var res kratix.FollowResult
	pickup.follow(ctx, &res, func(ctx context.Context) {
		for {
			_, res.Err = r.data.Client.WaitFor(ctx, promiseGVK(), "", name, func(obj *unstructured.Unstructured) (bool, error) {
				res.Last, res.Object = watch.Observe(obj), obj
				pickup.observe(obj)
				return res.Last.State != kratix.Waiting || watch.AwaitsRevision(), nil
			})
			if res.Err != nil || !watch.AwaitsRevision() {
				return
			}
			if res.Err = r.followRevision(ctx, name, watch, &res); res.Err != nil || res.Last.State != kratix.Waiting {
				return
			}
		}
	})
	return withFailedRun(ctx, r.data.Client, res, "configure", promiseJobLabels(name), "")
}

// revisionPollInterval is how often followRevision reads the revisions.
var revisionPollInterval = 500 * time.Millisecond

// followRevision reads the Promise's revisions, and the Promise, until the
// watch no longer awaits the revision: it is settled (res.Last done), or
// the Promise itself is no longer usable (res.Last waiting or failed: the
// caller watches the Promise again). It returns ctx's error when ctx ends
// first; a failed read is retried.
func (r *promiseResource) followRevision(ctx context.Context, name string, watch *kratix.PromiseWatch, res *kratix.FollowResult) error {
	promise, last := res.Object, ""
	for {
		revisions, served, err := promiseRevisions(ctx, r.data.Client, name)
		if err == nil && promise == nil {
			promise, err = r.data.Client.Get(ctx, promiseGVK(), "", name)
			if isNotFound(err) {
				promise, err = nil, nil
			}
		}
		if err == nil {
			watch.ObserveRevisions(revisions, served)
			res.Last, res.Object = watch.Observe(promise), promise
			if !watch.AwaitsRevision() {
				return nil
			}
			if res.Last.Summary != last {
				last = res.Last.Summary
				tflog.Info(ctx, "waiting for the Promise's revision", map[string]any{"promise": name, "progress": last})
			}
		} else if ctx.Err() == nil {
			tflog.Debug(ctx, "cannot read the Promise's revisions; trying again", map[string]any{"promise": name, "error": err.Error()})
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(revisionPollInterval):
		}
		promise = nil
	}
}

// promiseJobLabels select the Jobs of a Promise's own workflows.
func promiseJobLabels(name string) map[string]string {
	return map[string]string{kratix.LabelWorkflowType: "promise", kratix.LabelPromiseName: name}
}

// usableReport words how following a Promise until it is usable ended.
func usableReport(name string, created bool) followReport {
	return followReport{
		what:   "Promise " + name,
		advice: nextApplyAdvice("Promise", created),
		failed: func(res kratix.FollowResult) (string, string) {
			return "Promise configure workflow failed for " + name, fmt.Sprintf("The Promise was applied, but %s.%s\n\n"+
				"Fix the pipeline. Its Jobs:\n  kubectl get jobs -n kratix-platform-system -l kratix.io/promise-name=%s,kratix.io/workflow-type=promise",
				res.Last.Summary, failedRunText(res), name)
		},
		timedOut: func(res kratix.FollowResult) (string, string) {
			return "Timed out waiting for Promise " + name + " to become usable", fmt.Sprintf("Last seen: %s.\n\nRaise the timeouts "+
				"block if Kratix is just slow, set wait = false to skip waiting, or check the Promise: kubectl describe promise %s", res.Last.Summary, name)
		},
		interrupted: func(res kratix.FollowResult) (string, string) {
			return "Interrupted while waiting for Promise " + name, fmt.Sprintf("The Promise was applied, but the wait for it to "+
				"become usable was interrupted. Last seen: %s.", res.Last.Summary)
		},
	}
}

func (r *promiseResource) deleteAndWait(ctx context.Context, m *promiseModel, diags *diag.Diagnostics) {
	name := m.Name.ValueString()
	if !m.ForceDestroy.ValueBool() && r.requestsBlockDelete(ctx, name, "this Promise", diags) {
		return
	}
	r.data.promiseAPIs.forget(name)
	deleteSent := r.data.Client.ServerNow().Add(-time.Second)
	if err := r.data.Client.Delete(ctx, promiseGVK(), "", name, deleteOptions()); err != nil {
		diags.AddError("Cannot delete Promise "+name, err.Error())
		return
	}
	res := followDeletion(ctx, r.data.Client, r.data.FieldManager, promiseGVK(), "", name, deleteSent, promiseJobLabels(name))
	reportFollow(res, promiseDeletionReport(name), diags)
}

// promiseDeletionReport words how following a Promise's deletion ended.
// Any end but a failure or the Promise gone is reported as a timeout.
func promiseDeletionReport(name string) followReport {
	timedOut := func(res kratix.FollowResult) (string, string) {
		return "Timed out deleting Promise " + name, fmt.Sprintf("Last seen: %s. Deleting a Promise runs its delete "+
			"workflow and deletes all of its resource requests (each running its own delete workflow) and its API. "+
			"Raise timeouts.delete or check: kubectl describe promise %s\n\n%s", res.Last.Summary, name, followErr(res))
	}
	return followReport{
		what: "Promise " + name,
		failed: func(res kratix.FollowResult) (string, string) {
			return "Delete workflow failed for Promise " + name, fmt.Sprintf("%s.%s\n\nKratix keeps the Promise, its API and "+
				"its requests until the promise delete pipeline succeeds. Fix the pipeline, then run terraform destroy (or apply) "+
				"again: the provider re-runs the delete pipeline by labelling the Promise, as you could yourself with:\n"+
				"  kubectl label promise %s %s=true", res.Last.Summary, failedRunText(res), name, kratix.LabelManualReconciliation)
		},
		timedOut: timedOut,
		errored:  timedOut,
	}
}

// requestsBlockDelete reports (as an error) the resource requests that
// deleting the Promise would delete with it: Kratix deletes every request of
// a Promise, whoever made it. Requests already being deleted do not count.
// owner names the resource whose force_destroy lifts the check ("this
// Promise", or the PromiseRelease that installed it).
func (r *promiseResource) requestsBlockDelete(ctx context.Context, name, owner string, diags *diag.Diagnostics) bool {
	promise, err := r.data.Client.Get(ctx, promiseGVK(), "", name)
	if isNotFound(err) {
		return false
	}
	var requests []string
	var total int64
	if err == nil {
		requests, total, err = liveRequestsAfterGrace(ctx, r.data.Client, promise)
	}
	if err != nil {
		diags.AddError("Cannot check the requests of Promise "+name, fmt.Sprintf("Before deleting a Promise the provider checks "+
			"that no resource request of it exists, because Kratix deletes them all with it. The check failed: %v\n\n"+
			"Run the command again once the cluster answers, or set force_destroy = true on %s (and apply) to "+
			"delete it without the check.", err, owner))
		return true
	}
	if total == 0 {
		return false
	}
	diags.AddError(fmt.Sprintf("Promise %s still has %d resource request(s)", name, total), fmt.Sprintf(
		"Deleting Promise %q would make Kratix delete every request of it, including requests created outside this "+
			"configuration: %s.\n\nNothing was deleted. Delete or move those requests first, or, if they may go, set "+
			"force_destroy = true on %s, run terraform apply, then destroy (or replace) it.",
		name, strings.Join(requests, ", ")+more(total, len(requests)), owner))
	return true
}

// promiseDeleteGrace is how long a Promise's delete waits for its live
// requests to start going. A destroy deletes a Promise and its requests side
// by side when nothing in the configuration orders them (a generated
// configuration names the Promise by its name, not by a reference): those
// requests are being deleted a moment later.
var promiseDeleteGrace = 10 * time.Second

// liveRequestsAfterGrace is liveRequests once no request is left, or once
// promiseDeleteGrace has passed with some still live.
func liveRequestsAfterGrace(ctx context.Context, client *kube.Client, promise *unstructured.Unstructured) ([]string, int64, error) {
	deadline := time.Now().Add(promiseDeleteGrace)
	for {
		names, total, err := liveRequests(ctx, client, promise)
		if err != nil || total == 0 || time.Now().After(deadline) {
			return names, total, err
		}
		select {
		case <-ctx.Done():
			return names, total, nil
		case <-time.After(time.Second):
		}
	}
}

// liveRequests lists up to a few requests of the Promise's API that are not
// being deleted, and how many there are in all namespaces.
func liveRequests(ctx context.Context, client *kube.Client, promise *unstructured.Unstructured) ([]string, int64, error) {
	// Requests can exist before Kratix publishes the API (a moment after it
	// installs the CRD), under the API spec.api names.
	apiVersion, kind, _ := kratix.PromiseAPI(promise)
	if kind == "" {
		return nil, 0, nil // no API, so no requests
	}
	list, err := client.List(ctx, schema.FromAPIVersionAndKind(apiVersion, kind), "", metav1.ListOptions{})
	if kube.IsKindNotServed(err) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var names []string
	var total int64
	for _, item := range list.Items {
		if item.GetDeletionTimestamp() != nil {
			continue
		}
		total++
		if len(names) < 5 {
			names = append(names, item.GetNamespace()+"/"+item.GetName())
		}
	}
	return names, total, nil
}

func more(total int64, shown int) string {
	if total <= int64(shown) {
		return ""
	}
	return fmt.Sprintf(" and %d more", total-int64(shown))
}

// fillFromObject copies the cluster's view into the model, projecting the
// configurable parts onto what the configuration manages.
func (r *promiseResource) fillFromObject(ctx context.Context, m *promiseModel, obj *unstructured.Unstructured) {
	importing := m.UID.IsNull() || m.UID.IsUnknown()
	manager := DefaultFieldManager
	if r.data != nil {
		manager = r.data.FieldManager
	}
	m.ID, m.Name = types.StringValue(obj.GetName()), types.StringValue(obj.GetName())
	m.UID, m.Generation = types.StringValue(string(obj.GetUID())), types.Int64Value(obj.GetGeneration())
	labels := obj.GetLabels()
	if v, ok := labels[kratix.LabelPromiseVersion]; ok && (importing || !m.Version.IsNull()) {
		m.Version = types.StringValue(v)
	} else if !ok {
		m.Version = types.StringNull()
	}
	delete(labels, kratix.LabelPromiseVersion)
	m.Labels = projectedStringMap(obj, labels, m.Labels, "labels", importing)
	m.Annotations = projectedStringMap(obj, obj.GetAnnotations(), m.Annotations, "annotations", importing)
	var owned fieldmask.Mask // on import: the spec fields this provider applied
	if importing {
		owned, _ = fieldmask.FromManagedFields(managedFields(obj), manager, "spec")
	}
	m.API = projectedField(ctx, obj, m.API, importing, owned["api"], "spec", "api")
	m.Workflows = projectedWorkflows(ctx, obj, m.Workflows, importing, owned["workflows"])
	m.Dependencies = projectedField(ctx, obj, m.Dependencies, importing, owned["dependencies"], "spec", "dependencies")
	m.DestinationSelectors = selectorsValue(obj, m.DestinationSelectors, importing)
	m.RequiredPromises = requiredPromisesValue(obj, m.RequiredPromises, importing)
	m.PipelineNamespace = optionalString(obj, m.PipelineNamespace, importing, "spec", "workflows", "config", "pipelineNamespace")
	m.ReconciliationInterval = durationString(optionalString(obj, m.ReconciliationInterval, importing, "spec", "workflows", "config", "reconciliationInterval"), m.ReconciliationInterval)
	s := kratix.SummarisePromise(obj)
	m.Status, m.Message = types.StringValue(s.Status), types.StringValue(s.Message)
	m.APIVersion, m.Kind = types.StringValue(s.APIVersion), types.StringValue(s.Kind)
	m.Conditions = conditionsValue(obj)
	m.RequiredBy = requiredByValue(obj)
}

// projectedWorkflows reads spec.workflows without the config block, which
// has attributes of its own. On import it also leaves out the empty objects
// Kratix's webhook adds that this provider did not write (a configuration
// with only promise workflows reads back with resource: {}); a read with a
// prior state needs nothing more, as it projects onto what was configured.
func projectedWorkflows(ctx context.Context, obj *unstructured.Unstructured, prior types.Dynamic, importing bool, owned fieldmask.Mask) types.Dynamic {
	live, found, _ := unstructured.NestedMap(obj.Object, "spec", "workflows")
	if found && importing {
		live = kratix.DropWebhookEmpties(live, func(field string) bool { _, ok := owned[field]; return ok })
		delete(live, "config") // imported into pipeline_namespace and reconciliation_interval
		delete(owned, "config")
	}
	if len(live) == 0 {
		found = false
	}
	return projectedValue(ctx, withOwnedNulls(live, owned), found, prior, importing)
}

func projectedField(ctx context.Context, obj *unstructured.Unstructured, prior types.Dynamic, importing bool, owned fieldmask.Mask, fields ...string) types.Dynamic {
	live, found, _ := unstructured.NestedFieldCopy(obj.Object, fields...)
	return projectedValue(ctx, withOwnedNulls(live, owned), found, prior, importing)
}

// withOwnedNulls puts back the explicit nulls the configuration sent that
// the API server dropped (the embedded CRD's metadata.creationTimestamp):
// this provider's field manager still owns them. Without them the first
// plan after an import would add them.
func withOwnedNulls(live any, owned fieldmask.Mask) any {
	m, ok := live.(map[string]any)
	if !ok || owned == nil {
		return live
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for k, child := range owned {
		if v, present := m[k]; present {
			out[k] = withOwnedNulls(v, child)
		} else if child == nil {
			out[k] = nil
		}
	}
	return out
}

// optionalString reads a string the configuration may set: null when the
// configuration does not manage it, and null when it is gone from the
// object, so that an out-of-band removal shows as a change.
func optionalString(obj *unstructured.Unstructured, prior types.String, importing bool, fields ...string) types.String {
	v, _, _ := unstructured.NestedString(obj.Object, fields...)
	switch {
	case !importing && prior.IsNull():
		return prior
	case v == "":
		return types.StringNull()
	}
	return types.StringValue(v)
}

// durationString keeps the prior spelling of a duration the server holds
// in another: Kratix 2026 writes the Promise back through its Go types
// when it adds its finalizers, and metav1.Duration spells 1h as 1h0m0s.
func durationString(read, prior types.String) types.String {
	if read.IsNull() || prior.IsNull() || prior.IsUnknown() {
		return read
	}
	got, errGot := time.ParseDuration(read.ValueString())
	had, errHad := time.ParseDuration(prior.ValueString())
	if errGot == nil && errHad == nil && got == had {
		return prior
	}
	return read
}

func selectorsValue(obj *unstructured.Unstructured, prior types.List, importing bool) types.List {
	raw, found, _ := unstructured.NestedSlice(obj.Object, "spec", "destinationSelectors")
	elemType := types.ObjectType{AttrTypes: selectorAttrTypes}
	if !importing && prior.IsNull() || importing && !found {
		return types.ListNull(elemType)
	}
	elems := make([]attr.Value, 0, len(raw))
	for _, item := range raw {
		m, _ := item.(map[string]any)
		labels, _, _ := unstructured.NestedStringMap(m, "matchLabels")
		elems = append(elems, types.ObjectValueMust(selectorAttrTypes, map[string]attr.Value{"match_labels": stringMapValue(labels)}))
	}
	return types.ListValueMust(elemType, elems)
}

func requiredPromisesValue(obj *unstructured.Unstructured, prior types.List, importing bool) types.List {
	raw, found, _ := unstructured.NestedSlice(obj.Object, "spec", "requiredPromises")
	elemType := types.ObjectType{AttrTypes: requiredPromiseAttrTypes}
	if !importing && prior.IsNull() || importing && !found {
		return types.ListNull(elemType)
	}
	elems := make([]attr.Value, 0, len(raw))
	for _, item := range raw {
		m, _ := item.(map[string]any)
		version := types.StringNull()
		if v, _ := m["version"].(string); v != "" {
			version = types.StringValue(v)
		}
		elems = append(elems, types.ObjectValueMust(requiredPromiseAttrTypes, map[string]attr.Value{
			"name": types.StringValue(str(m["name"])), "version": version,
		}))
	}
	return types.ListValueMust(elemType, elems)
}

func requiredByValue(obj *unstructured.Unstructured) types.List {
	raw, _, _ := unstructured.NestedSlice(obj.Object, "status", "requiredBy")
	elemType := types.ObjectType{AttrTypes: requiredByAttrTypes}
	elems := make([]attr.Value, 0, len(raw))
	for _, item := range raw {
		m, _ := item.(map[string]any)
		elems = append(elems, types.ObjectValueMust(requiredByAttrTypes, map[string]attr.Value{
			"name":             types.StringValue(nestedStr(m, "promise", "name")),
			"version":          types.StringValue(nestedStr(m, "promise", "version")),
			"required_version": types.StringValue(nestedStr(m, "requiredVersion")),
		}))
	}
	return types.ListValueMust(elemType, elems)
}

func stringMapValue(m map[string]string) types.Map {
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

func nestedStr(m map[string]any, fields ...string) string {
	s, _, _ := unstructured.NestedString(m, fields...)
	return s
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
