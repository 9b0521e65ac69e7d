package emulator

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// promiseFacts is what one Promise reconcile learned, for its status.
type promiseFacts struct {
	api          *promiseAPIInfo
	requirements []any
	reqCondition *condition
	fulfilled    bool
	workflow     workflowState
}

// syncPromise reconciles one Promise (kratix-api.md §3): finalizers,
// revision, requirements, the generated CRD and its request watch, static
// dependencies, the promise configure workflow, and the status.
func (e *Emulator) syncPromise(ctx context.Context, name string) (time.Duration, error) {
	r := ref{gvr: gvrPromise, name: name}
	promise, err := e.get(ctx, r)
	if err != nil {
		return 0, err
	}
	if promise == nil {
		e.apis.remove(name) // gone without its finalizers running
		return 0, nil
	}
	if labelIsTrue(promise, labelPaused) {
		return 0, e.pausePromise(ctx, promiseTarget(promise))
	}
	if promise.GetDeletionTimestamp() != nil {
		return e.deletePromise(ctx, promise)
	}
	if promise, err = e.ensurePromiseFinalizers(ctx, promise); err != nil || promise == nil {
		return 0, err
	}
	if err := e.ensureRevision(ctx, promise); err != nil {
		return 0, fmt.Errorf("promise revision: %w", err)
	}
	facts := promiseFacts{workflow: workflowRunning}
	if facts.requirements, facts.reqCondition, err = e.evaluateRequirements(ctx, promise); err != nil {
		return 0, err
	}
	facts.fulfilled = facts.reqCondition == nil || facts.reqCondition.Status == "True"
	if api, ok := nestedMap(promise.Object, "spec")["api"].(map[string]any); ok {
		info, err := apiInfoOf(api)
		if err != nil {
			return 0, err
		}
		established, err := e.ensureCRD(ctx, generatedCRD(promise, api))
		if err != nil {
			return 0, fmt.Errorf("installing the Promise API: %w", err)
		}
		if !established {
			// Kratix requeues until the CRD is Established.
			return 200 * time.Millisecond, e.writePromiseStatus(ctx, promiseTarget(promise), facts)
		}
		facts.api = &info
		e.watchRequests(name, info.gvr, info.kind)
	}
	if err := e.reconcileStaticDependencies(ctx, promise); err != nil {
		return 0, fmt.Errorf("static dependencies: %w", err)
	}
	t := promiseTarget(promise)
	if facts.workflow, err = e.reconcileConfigure(ctx, t); err != nil {
		return 0, err
	}
	if facts.fulfilled && facts.api != nil {
		if err := e.reconcileResources(ctx, t, facts.workflow != workflowRunning); err != nil {
			return 0, err
		}
	}
	if err := e.writePromiseStatus(ctx, t, facts); err != nil {
		return 0, err
	}
	if !facts.fulfilled {
		return 5 * time.Second, nil
	}
	return 0, nil
}

// promiseFinalizers are the finalizers a Promise carries, in Kratix's
// order; delete-workflows is added last, and only with a delete pipeline.
func promiseFinalizers(promise *unstructured.Unstructured) []string {
	spec := nestedMap(promise.Object, "spec")
	var f []string
	if _, ok := spec["api"].(map[string]any); ok {
		f = append(f, finalizerResourceRequestCleanup, finalizerDynamicControllerCleanup, finalizerAPICRDCleanup)
	}
	f = append(f, finalizerDependenciesCleanup, finalizerWorkflowsCleanup, finalizerRevisionCleanup)
	if len(pipelinesOf(spec, workflowPromise, actionDelete)) > 0 {
		f = append(f, finalizerDeleteWorkflows)
	}
	return f
}

func (e *Emulator) ensurePromiseFinalizers(ctx context.Context, promise *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	want := promiseFinalizers(promise)
	return e.mutateObject(ctx, refOf(gvrPromise, promise), func(obj *unstructured.Unstructured) error {
		addFinalizers(obj, want...)
		if !slices.Contains(want, finalizerDeleteWorkflows) {
			removeFinalizer(obj, finalizerDeleteWorkflows)
		}
		return nil
	})
}

// reconcileResources marks every request of the Promise for a re-run, as
// Kratix's reconcileResources does, when the Promise has the label
// kratix.io/reconcile-resources (which it then loses) or, once its own
// workflow is over, a new generation other than the first that
// status.observedGeneration does not show yet (writePromiseStatus then
// sets it): Kratix labels the requests before it records the generation.
func (e *Emulator) reconcileResources(ctx context.Context, t *workflowTarget, workflowOver bool) error {
	asked := labelIsTrue(t.obj, labelReconcileResources)
	observed, _, _ := unstructured.NestedInt64(t.obj.Object, "status", "observedGeneration")
	gen := t.obj.GetGeneration()
	if !asked && (!workflowOver || gen == 1 || gen == observed) {
		return nil
	}
	api := e.apis.get(t.promiseName)
	for _, rr := range e.requestsOf(t.promiseName) {
		if _, err := e.mutateObject(ctx, refOf(api.gvr, rr), func(obj *unstructured.Unstructured) error {
			setLabel(obj, labelManualReconciliation, "true")
			return nil
		}); err != nil {
			return err
		}
	}
	if !asked {
		return nil
	}
	obj, err := e.mutateObject(ctx, t.ref, func(obj *unstructured.Unstructured) error {
		setLabel(obj, labelReconcileResources, "")
		return nil
	})
	if obj != nil {
		t.obj = obj
	}
	return err
}

// writePromiseStatus writes everything a reconcile learned (§3.2, §3.3).
func (e *Emulator) writePromiseStatus(ctx context.Context, t *workflowTarget, f promiseFacts) error {
	var works *worksReadiness
	if f.workflow != workflowRunning {
		w, err := e.worksReadiness(ctx, "", map[string]string{labelPromiseName: t.promiseName, labelWorkType: workflowPromise})
		if err != nil {
			return err
		}
		works = &w
	}
	configurePipelines := len(t.pipelines(actionConfigure))
	return e.setStatus(ctx, t, func(status map[string]any) {
		setPromiseIdentity(status, t.obj, f.api)
		if f.reqCondition != nil {
			status["requiredPromises"] = f.requirements
			setCondition(status, *f.reqCondition, onStatusChange)
		}
		setPromiseAvailability(status, f)
		if works != nil {
			setCondition(status, works.worksSucceeded("promise"), onStatusChange)
		}
		if c, ok := reconciledCondition(status); ok {
			setCondition(status, c, onStatusChange)
		}
		if !f.fulfilled {
			setCondition(status, condition{Type: condReconciled, Status: "Unknown", Reason: "RequirementsNotFulfilled", Message: msgPending}, onStatusChange)
		}
		setPromiseCounters(status, configurePipelines)
		if gen := t.obj.GetGeneration(); f.fulfilled && f.api != nil && f.workflow != workflowRunning && gen != 1 {
			status["observedGeneration"] = gen
		}
	})
}

// setPromiseIdentity writes version, kind and apiVersion, and their
// status.kratix copies.
func setPromiseIdentity(status map[string]any, promise *unstructured.Unstructured, api *promiseAPIInfo) {
	if v, ok := promise.GetLabels()[labelPromiseVersion]; ok {
		status["version"] = v
		setNested(status, v, "kratix", "version")
	}
	if api != nil {
		status["kind"], status["apiVersion"] = api.kind, api.apiVersion()
		setNested(status, api.kind, "kratix", "kind")
		setNested(status, api.apiVersion(), "kratix", "apiVersion")
	}
}

// setPromiseAvailability: a Promise becomes Available once its configure
// workflow has succeeded and its requirements are fulfilled, and does not
// flicker while a later run of the workflow is in progress or failing.
// A suspended workflow makes it Unavailable.
func setPromiseAvailability(status map[string]any, f promiseFacts) {
	wasAvailable := status["status"] == statusAvailable
	available := f.fulfilled && (f.workflow == workflowSucceeded ||
		wasAvailable && (f.workflow == workflowRunning || f.workflow == workflowFailed))
	c := condition{Type: condAvailable, Status: "False", Reason: "PromiseUnavailable", Message: "Cannot fulfil resource requests"}
	if f.workflow == workflowSuspended {
		c.Reason, c.Message = "WorkflowSuspended", "Suspended"
	}
	value := statusUnavailable
	if available {
		c = condition{Type: condAvailable, Status: "True", Reason: "PromiseAvailable", Message: "Ready to fulfil resource requests"}
		value = statusAvailable
		if !wasAvailable {
			status["lastAvailableTime"] = timestamp()
			setNested(status, status["lastAvailableTime"], "kratix", "lastAvailableTime")
		}
	}
	status["status"] = value
	setNested(status, value, "kratix", "status")
	setCondition(status, c, onStatusChange)
}

// setPromiseCounters: workflows counts promise configure pipelines;
// succeeded is all or nothing; failed is 0 or 1.
func setPromiseCounters(status map[string]any, pipelines int) {
	status["workflows"] = int64(pipelines)
	status["workflowsSucceeded"], status["workflowsFailed"] = int64(0), int64(0)
	if pipelines == 0 {
		return
	}
	if conditionIs(status, condConfigureWorkflowCompleted, "True") {
		status["workflowsSucceeded"] = int64(pipelines)
	}
	if conditionIs(status, condConfigureWorkflowCompleted, "False") && conditionReason(status, condConfigureWorkflowCompleted) == "ConfigureWorkflowFailed" {
		status["workflowsFailed"] = int64(1)
	}
}

// pausePromise: kratix.io/paused=true stops reconciliation and makes the
// Promise Unavailable.
func (e *Emulator) pausePromise(ctx context.Context, t *workflowTarget) error {
	return e.setStatus(ctx, t, func(status map[string]any) {
		status["status"] = statusUnavailable
		setNested(status, statusUnavailable, "kratix", "status")
		setCondition(status, condition{Type: condAvailable, Status: "False", Reason: "PausedReconciliation", Message: "Paused"}, onStatusChange)
		setCondition(status, condition{Type: condReconciled, Status: "Unknown", Reason: "PausedReconciliation", Message: "Paused"}, onStatusChange)
	})
}
