package emulator

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/labels"
)

// deleteRequest processes a deleted request's finalizers in Kratix's order
// (§5.5): the delete pipeline (after any running configure Job), then the
// Works and with them the WorkPlacements, then the workflow Jobs, then the
// ResourceBinding. A failed or suspended delete pipeline stops it there,
// with DeleteWorkflowCompleted=False, until the Promise is updated or the
// request gets kratix.io/manual-reconciliation=true.
func (e *Emulator) deleteRequest(ctx context.Context, t *workflowTarget) (time.Duration, error) {
	rr := t.obj
	jobSelector := t.jobLabels(actionConfigure)
	delete(jobSelector, labelWorkflowAction)
	workSelector := map[string]string{labelPromiseName: t.promiseName, labelResourceName: rr.GetName(), labelWorkType: workflowResource}
	if ns := jobSelector[labelResourceNamespace]; ns != "" {
		workSelector[labelResourceNamespace] = ns
	}
	steps := []struct {
		finalizer string
		run       func() (bool, error)
	}{
		{finalizerDeleteWorkflows, func() (bool, error) { return e.runRequestDeleteWorkflow(ctx, t) }},
		{finalizerWorkCleanup, func() (bool, error) {
			return e.gone(e.deleteAll(ctx, gvrWork, t.jobNamespace, labels.SelectorFromSet(workSelector).String()))
		}},
		{finalizerWorkflowsCleanup, func() (bool, error) { return e.gone(e.deleteJobs(ctx, t.jobNamespace, jobSelector)) }},
		{finalizerResourceBindingCleanup, func() (bool, error) {
			return e.gone(e.deleteAll(ctx, gvrResourceBinding, rr.GetNamespace(), labels.SelectorFromSet(map[string]string{
				labelPromiseName: t.promiseName, labelResourceName: rr.GetName(),
			}).String()))
		}},
	}
	for _, step := range steps {
		if !hasFinalizer(rr, step.finalizer) {
			continue
		}
		done, err := step.run()
		if err != nil || !done {
			return pollWhileDeleting, err
		}
		if err := e.dropFinalizer(ctx, t.ref, step.finalizer); err != nil {
			return 0, err
		}
	}
	e.opts.Logf("request %s/%s: finalizers done", rr.GetNamespace(), rr.GetName())
	return 0, nil
}

// runRequestDeleteWorkflow waits for a running configure Job, then runs
// the delete pipeline; with no delete pipeline it is done at once.
func (e *Emulator) runRequestDeleteWorkflow(ctx context.Context, t *workflowTarget) (bool, error) {
	if len(t.pipelines(actionDelete)) == 0 {
		return true, nil
	}
	jobs, err := e.listJobs(ctx, t.jobNamespace, t.jobLabels(actionConfigure))
	if err != nil {
		return false, err
	}
	if len(jobs) > 0 && jobRunning(&jobs[0]) {
		return false, nil
	}
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
