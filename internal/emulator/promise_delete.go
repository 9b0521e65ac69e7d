package emulator

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// pollWhileDeleting is how soon a deletion that waits for other objects to
// go looks again.
const pollWhileDeleting = 250 * time.Millisecond

// deletePromise processes a deleted Promise's finalizers in Kratix's order
// (§3.4): wait for running request configure Jobs, run the promise delete
// pipeline, delete the promise workflow Jobs, delete every request (each
// runs its own delete workflow) and wait for them to go, delete the
// revisions, stop watching requests and delete the pipelines' service
// accounts, delete the Works, and finally the CRD. Each finalizer goes as
// soon as its step is done.
func (e *Emulator) deletePromise(ctx context.Context, promise *unstructured.Unstructured) (time.Duration, error) {
	t := promiseTarget(promise)
	name := promise.GetName()
	if hasFinalizer(promise, finalizerWorkflowsCleanup) {
		if running, err := e.requestJobsRunning(ctx, name); err != nil || running {
			return pollWhileDeleting, err
		}
	}
	steps := []struct {
		finalizer string
		run       func() (bool, error)
	}{
		{finalizerDeleteWorkflows, func() (bool, error) { return e.runPromiseDeleteWorkflow(ctx, t) }},
		{finalizerWorkflowsCleanup, func() (bool, error) {
			return e.gone(e.deleteJobs(ctx, t.jobNamespace, map[string]string{labelPromiseName: name, labelWorkflowType: workflowPromise}))
		}},
		{finalizerResourceRequestCleanup, func() (bool, error) { return e.deleteRequestsOf(ctx, promise) }},
		{finalizerRevisionCleanup, func() (bool, error) {
			return e.gone(e.deleteAll(ctx, gvrPromiseRevision, "", labelPromiseName+"="+name))
		}},
		{finalizerDynamicControllerCleanup, func() (bool, error) {
			e.apis.remove(name)
			return true, e.deleteServiceAccounts(ctx, name)
		}},
		{finalizerDependenciesCleanup, func() (bool, error) {
			return e.gone(e.deleteAll(ctx, gvrWork, "", labelPromiseName+"="+name))
		}},
		{finalizerAPICRDCleanup, func() (bool, error) { return e.deleteCRDOf(ctx, promise) }},
	}
	for _, step := range steps {
		if !hasFinalizer(t.obj, step.finalizer) {
			continue
		}
		done, err := step.run()
		if err != nil || !done {
			return pollWhileDeleting, err
		}
		if err := e.dropFinalizer(ctx, t.ref, step.finalizer); err != nil {
			return 0, err
		}
		e.opts.Logf("promise %s: finalizer %s done", name, step.finalizer)
	}
	return 0, nil
}

// gone adapts deleteAll's "how many were still there" to "all gone".
func (e *Emulator) gone(left int, err error) (bool, error) {
	return err == nil && left == 0, err
}

// runPromiseDeleteWorkflow runs the promise delete pipeline; a failure or
// suspension is recorded and blocks the deletion.
func (e *Emulator) runPromiseDeleteWorkflow(ctx context.Context, t *workflowTarget) (bool, error) {
	state, err := e.reconcileDeleteWorkflow(ctx, t)
	if err != nil {
		return false, err
	}
	switch state {
	case workflowSucceeded:
		return true, nil
	case workflowFailed, workflowSuspended:
		return false, e.deleteWorkflowCondition(ctx, t, state)
	}
	return false, nil
}

// requestJobsRunning reports whether any request configure Job of the
// Promise is still running: Kratix lets those finish before deleting.
func (e *Emulator) requestJobsRunning(ctx context.Context, promise string) (bool, error) {
	jobs, err := e.listJobs(ctx, "", map[string]string{labelPromiseName: promise, labelWorkflowType: workflowResource, labelWorkflowAction: actionConfigure})
	if err != nil {
		return false, err
	}
	for i := range jobs {
		if jobRunning(&jobs[i]) && (jobs[i].Spec.Suspend == nil || !*jobs[i].Spec.Suspend) {
			return true, nil
		}
	}
	return false, nil
}

// deleteJobs deletes workflow Jobs by label and reports how many were left.
func (e *Emulator) deleteJobs(ctx context.Context, namespace string, selector map[string]string) (int, error) {
	jobs, err := e.listJobs(ctx, namespace, selector)
	if err != nil {
		return 0, err
	}
	background := metav1.DeletePropagationBackground
	for _, j := range jobs {
		if j.DeletionTimestamp != nil {
			continue
		}
		err := e.kube.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: &background})
		if ignoreNotFound(err) != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

// deleteRequestsOf deletes every request of the Promise's kind, in all
// namespaces, and reports whether they are all gone. After a restart the
// requests may not be watched yet: their deletion needs the watch.
func (e *Emulator) deleteRequestsOf(ctx context.Context, promise *unstructured.Unstructured) (bool, error) {
	name := promise.GetName()
	api := e.apis.get(name)
	if api == nil {
		rawAPI, ok := nestedMap(promise.Object, "spec")["api"].(map[string]any)
		if !ok {
			return true, nil
		}
		info, infoErr := apiInfoOf(rawAPI)
		if infoErr != nil {
			e.opts.Logf("promise %s: no requests to delete: %v", name, infoErr)
			return true, nil //nolint:nilerr // an invalid API never had a CRD, so it has no requests
		}
		if crd, err := e.get(ctx, ref{gvr: gvrCRD, name: nestedString(rawAPI, "metadata", "name")}); err != nil || crd == nil {
			return crd == nil, err
		}
		e.watchRequests(name, info.gvr, info.kind)
		api = e.apis.get(name)
	}
	left, err := e.deleteAll(ctx, api.gvr, "", "")
	if left > 0 {
		e.opts.Logf("promise %s: waiting for %d requests to be deleted", name, left)
	}
	return e.gone(left, err)
}

// deleteCRDOf deletes the generated CRD and reports whether it is gone.
func (e *Emulator) deleteCRDOf(ctx context.Context, promise *unstructured.Unstructured) (bool, error) {
	name := nestedString(promise.Object, "spec", "api", "metadata", "name")
	if name == "" {
		return true, nil
	}
	r := ref{gvr: gvrCRD, name: name}
	crd, err := e.get(ctx, r)
	if err != nil || crd == nil {
		return crd == nil, err
	}
	if crd.GetLabels()[labelPromiseName] != promise.GetName() {
		return true, nil // not ours to delete
	}
	if crd.GetDeletionTimestamp() == nil {
		if err := ignoreNotFound(e.client(r).Delete(ctx, name, metav1.DeleteOptions{})); err != nil {
			return false, fmt.Errorf("deleting CRD %s: %w", name, err)
		}
	}
	return false, nil
}

// deleteServiceAccounts deletes the pipeline service accounts the emulator
// created for a Promise, in every namespace.
func (e *Emulator) deleteServiceAccounts(ctx context.Context, promise string) error {
	list, err := e.kube.CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(map[string]string{labelPromiseName: promise}).String(),
	})
	if err != nil {
		return err
	}
	for _, sa := range list.Items {
		if err := e.kube.CoreV1().ServiceAccounts(sa.Namespace).Delete(ctx, sa.Name, metav1.DeleteOptions{}); ignoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}
