package emulator

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// reconcileDeleteWorkflow drives the delete workflow one step, the way
// lib/workflow's ReconcileDelete does. Only the first delete pipeline runs.
// Its Jobs are found by the current spec hash, so updating the Promise (or,
// for a request, the request) gives a failed delete a fresh run; so does
// the manual-reconciliation label, which is removed once the run starts.
func (e *Emulator) reconcileDeleteWorkflow(ctx context.Context, t *workflowTarget) (workflowState, error) {
	pipelines := t.pipelines(actionDelete)
	if len(pipelines) == 0 {
		return workflowSucceeded, nil
	}
	p := pipelines[0]
	selector := t.jobLabels(actionDelete)
	selector[labelPipelineName] = p.Name
	selector[labelHash] = t.hash()
	jobs, err := e.listJobs(ctx, t.jobNamespace, selector)
	if err != nil {
		return workflowRunning, err
	}
	var latest *batchv1.Job
	if len(jobs) > 0 {
		latest = &jobs[0]
	}
	if err := e.refreshAfterJob(ctx, t, latest); err != nil {
		return workflowRunning, err
	}
	manual := labelIsTrue(t.obj, labelManualReconciliation)
	switch {
	case jobRunning(latest):
		if manual {
			return workflowRunning, e.suspendJob(ctx, latest)
		}
		return workflowRunning, nil
	case latest == nil || manual || resumedAfterSuspend(t.obj, latest):
		return workflowRunning, e.startDeletePipeline(ctx, t, p)
	case jobSucceeded(latest) && latest.Annotations[annotationSuspendedRun] == "true":
		return workflowSuspended, nil
	case jobSucceeded(latest) || latest.Status.Succeeded > 0:
		return workflowSucceeded, nil
	default:
		return workflowFailed, nil
	}
}

// resumedAfterSuspend: the delete pipeline suspended itself and someone
// has since removed the kratix.io/workflow-suspended label.
func resumedAfterSuspend(obj *unstructured.Unstructured, job *batchv1.Job) bool {
	return jobSucceeded(job) && job.Annotations[annotationSuspendedRun] == "true" && !labelIsTrue(obj, labelWorkflowSuspended)
}

func (e *Emulator) startDeletePipeline(ctx context.Context, t *workflowTarget, p pipeline) error {
	obj, err := e.mutateObject(ctx, t.ref, func(obj *unstructured.Unstructured) error {
		setLabel(obj, labelManualReconciliation, "")
		return nil
	})
	if err != nil {
		return err
	}
	if obj != nil {
		t.obj = obj
	}
	return e.createJob(ctx, t, p, actionDelete, false)
}

// deleteWorkflowCondition records a failed or suspended delete workflow on
// the object being deleted (§3.3, §5.4). It stays until the object goes.
func (e *Emulator) deleteWorkflowCondition(ctx context.Context, t *workflowTarget, state workflowState) error {
	c := condition{Type: condDeleteWorkflowCompleted, Status: "False", Reason: "DeleteWorkflowFailed", Message: msgDeleteFailed}
	if state == workflowSuspended {
		c.Reason, c.Message = "DeleteWorkflowSuspended", msgDeleteSuspended
	}
	return e.setStatus(ctx, t, func(status map[string]any) { setCondition(status, c, t.mode) })
}
