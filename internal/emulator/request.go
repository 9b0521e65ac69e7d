package emulator

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// requestFinalizers are always added to a request (§2), in this order.
var requestFinalizers = []string{
	finalizerWorkCleanup, finalizerWorkflowsCleanup, finalizerDeleteWorkflows, finalizerResourceBindingCleanup,
}

// syncRequest reconciles one resource request (§5), in the order of
// Kratix's dynamic controller: pause, the promise-name label, deletion,
// Promise availability, finalizers, the ResourceBinding, then the
// configure workflow and, once it succeeded, the request's status.
func (e *Emulator) syncRequest(ctx context.Context, key string) (time.Duration, error) {
	promiseName, ns, name := splitRequestKey(key)
	api := e.apis.get(promiseName)
	if api == nil {
		// The Promise's reconcile starts the watch, which lists every
		// request again; nothing to do before that.
		return 0, nil
	}
	r := ref{gvr: api.gvr, namespace: ns, name: name}
	rr, err := e.get(ctx, r)
	if err != nil || rr == nil {
		return 0, err
	}
	promise, err := e.get(ctx, ref{gvr: gvrPromise, name: promiseName})
	if err != nil || promise == nil {
		return 0, err
	}
	t := requestTarget(promise, rr, api.gvr)
	if labelIsTrue(promise, labelPaused) || labelIsTrue(rr, labelPaused) {
		return 0, e.setStatus(ctx, t, func(status map[string]any) {
			setCondition(status, condition{Type: condReconciled, Status: "Unknown", Reason: "PausedReconciliation", Message: "Paused"}, onAnyChange)
		})
	}
	if rr.GetLabels()[labelPromiseName] != promiseName {
		// Kratix labels the request and stops; the update comes back.
		_, err := e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
			setLabel(obj, labelPromiseName, promiseName)
			return nil
		})
		return 0, err
	}
	if rr.GetDeletionTimestamp() != nil {
		return e.deleteRequest(ctx, t)
	}
	if nestedString(promise.Object, "status", "status") != statusAvailable {
		return 0, e.markPromiseUnavailable(ctx, t)
	}
	return e.reconcileRequest(ctx, t)
}

func (e *Emulator) reconcileRequest(ctx context.Context, t *workflowTarget) (time.Duration, error) {
	if conditionIs(statusOf(t.obj), condPromiseAvailable, "False") {
		if err := e.setStatus(ctx, t, func(status map[string]any) {
			setCondition(status, condition{Type: condPromiseAvailable, Status: "True", Reason: "PromiseAvailable", Message: "Promise is available"}, onAnyChange)
		}); err != nil {
			return 0, err
		}
	}
	obj, err := e.mutateObject(ctx, t.ref, func(obj *unstructured.Unstructured) error {
		addFinalizers(obj, requestFinalizers...)
		return nil
	})
	if err != nil || obj == nil {
		return 0, err
	}
	t.obj = obj
	bindingVersion, err := e.ensureResourceBinding(ctx, t)
	if err != nil {
		return 0, err
	}
	if conditionReason(statusOf(t.obj), condReconciled) == "PausedReconciliation" {
		return 0, e.unpauseRequest(ctx, t)
	}
	pipelines := t.pipelines(actionConfigure)
	state, err := e.reconcileConfigure(ctx, t)
	if err != nil || state != workflowSucceeded {
		return 0, err
	}
	if len(pipelines) == 0 {
		// §5.4 caveat: no configure pipeline, no workflow conditions;
		// only observedGeneration says the request was seen.
		return 0, e.setStatus(ctx, t, func(status map[string]any) {
			status["observedGeneration"] = t.obj.GetGeneration()
			status["workflows"], status["workflowsSucceeded"], status["workflowsFailed"] = int64(0), int64(0), int64(0)
		})
	}
	return 0, e.markRequestConfigured(ctx, t, bindingVersion)
}

// markRequestConfigured writes what follows a successful configure
// workflow: the observed generation, the versions used, the time of the
// success, WorksSucceeded from the request's Works, and Reconciled.
func (e *Emulator) markRequestConfigured(ctx context.Context, t *workflowTarget, bindingVersion string) error {
	selector := workLabels(t.promiseName, t.obj.GetName(), "", "", workflowResource)
	delete(selector, labelPipelineName)
	if t.jobNamespace != t.obj.GetNamespace() {
		selector[labelResourceNamespace] = t.obj.GetNamespace()
	}
	works, err := e.worksReadiness(ctx, t.jobNamespace, selector)
	if err != nil {
		return err
	}
	version := t.promise.GetLabels()[labelPromiseVersion]
	if version == "" {
		version = versionNotSet
	}
	err = e.setStatus(ctx, t, func(status map[string]any) {
		status["observedGeneration"] = t.obj.GetGeneration()
		status["promiseVersion"] = version
		status["resourceBindingVersion"] = bindingVersion
		if c, ok := findCondition(status, condConfigureWorkflowCompleted); ok && c["status"] == "True" {
			status["lastSuccessfulConfigureWorkflowTime"] = c["lastTransitionTime"]
			setNested(status, c["lastTransitionTime"], "kratix", "workflows", "lastSuccessfulConfigureWorkflowTime")
		}
		setCondition(status, works.worksSucceeded("resource"), onAnyChange)
		if c, ok := reconciledCondition(status); ok {
			setCondition(status, c, onAnyChange)
		}
	})
	if err != nil {
		return err
	}
	return e.setBindingApplied(ctx, t, version)
}

// markPromiseUnavailable: while the Promise is not Available the request
// is Pending and no workflow runs (§5.4).
func (e *Emulator) markPromiseUnavailable(ctx context.Context, t *workflowTarget) error {
	return e.setStatus(ctx, t, func(status map[string]any) {
		status["message"] = msgPending
		setCondition(status, condition{Type: condPromiseAvailable, Status: "False", Reason: "PromiseRequirementsNotInstalled",
			Message: "Promise Requirements are not installed"}, onAnyChange)
	})
}

// unpauseRequest: after kratix.io/paused is removed the workflow runs
// again from the start.
func (e *Emulator) unpauseRequest(ctx context.Context, t *workflowTarget) error {
	if _, err := e.mutateObject(ctx, t.ref, func(obj *unstructured.Unstructured) error {
		setLabel(obj, labelRunFromStart, "true")
		return nil
	}); err != nil {
		return err
	}
	return e.setStatus(ctx, t, func(status map[string]any) {
		setCondition(status, condition{Type: condReconciled, Status: "Unknown", Reason: "Unpaused", Message: msgPending}, onAnyChange)
	})
}

// ensureResourceBinding keeps the request's ResourceBinding (§5.6) and
// returns its spec.version.
func (e *Emulator) ensureResourceBinding(ctx context.Context, t *workflowTarget) (string, error) {
	rr := t.obj
	r := ref{gvr: gvrResourceBinding, namespace: rr.GetNamespace(), name: resourceBindingName(rr.GetName(), t.promiseName)}
	bindingLabels := map[string]string{}
	for k, v := range rr.GetLabels() {
		bindingLabels[k] = v
	}
	delete(bindingLabels, labelManualReconciliation)
	delete(bindingLabels, labelRunFromStart)
	bindingLabels[labelPromiseName] = t.promiseName
	bindingLabels[labelResourceName] = rr.GetName()
	resourceRef := map[string]any{"name": rr.GetName(), "namespace": rr.GetNamespace(), "generation": rr.GetGeneration()}
	existing, err := e.get(ctx, r)
	if err != nil {
		return "", err
	}
	if existing == nil {
		rb := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "ResourceBinding",
			"metadata": map[string]any{"name": r.name, "namespace": r.namespace},
			"spec":     map[string]any{"version": bindingVersionLatest, "promiseRef": map[string]any{"name": t.promiseName}, "resourceRef": resourceRef},
		}}
		rb.SetLabels(bindingLabels)
		_, err := e.client(r).Create(ctx, rb, metav1.CreateOptions{})
		return bindingVersionLatest, err
	}
	updated, err := e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
		obj.SetLabels(bindingLabels)
		return unstructured.SetNestedMap(obj.Object, resourceRef, "spec", "resourceRef")
	})
	if err != nil || updated == nil {
		return bindingVersionLatest, err
	}
	if v := nestedString(updated.Object, "spec", "version"); v != "" {
		return v, nil
	}
	return bindingVersionLatest, nil
}

// setBindingApplied records the version a successful workflow used.
func (e *Emulator) setBindingApplied(ctx context.Context, t *workflowTarget, version string) error {
	r := ref{gvr: gvrResourceBinding, namespace: t.obj.GetNamespace(), name: resourceBindingName(t.obj.GetName(), t.promiseName)}
	_, err := e.mutateStatus(ctx, r, func(obj *unstructured.Unstructured) error {
		statusOf(obj)["lastAppliedVersion"] = version
		return nil
	})
	return err
}
