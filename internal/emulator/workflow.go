package emulator

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// workflowTarget is the object a workflow runs for (a Promise or a
// request) with everything the workflow engine needs to know about it.
type workflowTarget struct {
	obj          *unstructured.Unstructured // as last read or written
	ref          ref
	gvr          schema.GroupVersionResource
	promise      *unstructured.Unstructured
	promiseName  string
	workflowType string
	jobNamespace string
	mode         transitionMode
}

func promiseTarget(promise *unstructured.Unstructured) *workflowTarget {
	ns := pipelineNamespaceOf(nestedMap(promise.Object, "spec"))
	if ns == "" {
		ns = platformNamespace
	}
	return &workflowTarget{
		obj: promise, ref: refOf(gvrPromise, promise), gvr: gvrPromise, promise: promise, promiseName: promise.GetName(),
		workflowType: workflowPromise, jobNamespace: ns, mode: onStatusChange,
	}
}

func requestTarget(promise, rr *unstructured.Unstructured, gvr schema.GroupVersionResource) *workflowTarget {
	ns := pipelineNamespaceOf(nestedMap(promise.Object, "spec"))
	if ns == "" {
		ns = rr.GetNamespace()
	}
	return &workflowTarget{
		obj: rr, ref: refOf(gvr, rr), gvr: gvr, promise: promise, promiseName: promise.GetName(),
		workflowType: workflowResource, jobNamespace: ns, mode: onAnyChange,
	}
}

// promiseObject is the Promise whose workflows run: for a Promise's own
// workflow the target as last read, so that its pipelines and its hash
// always describe the same spec.
func (t *workflowTarget) promiseObject() *unstructured.Unstructured {
	if t.workflowType == workflowPromise {
		return t.obj
	}
	return t.promise
}

// hash is the kratix.io/hash of the target's Jobs, computed from the target
// as last read. Every step re-reads the target, and a hash kept from an
// older read would take the previous spec's Jobs for the current one's, and
// mark a new generation configured without running its workflow.
func (t *workflowTarget) hash() string {
	if t.workflowType == workflowPromise {
		return specHash(t.obj.Object)
	}
	return requestHash(t.promise.Object, t.obj.Object)
}

func (t *workflowTarget) pipelines(action string) []pipeline {
	return pipelinesOf(nestedMap(t.promiseObject().Object, "spec"), t.workflowType, action)
}

// setStatus mutates the target's status in the API and keeps t.obj fresh.
func (e *Emulator) setStatus(ctx context.Context, t *workflowTarget, fn func(status map[string]any)) error {
	obj, err := e.mutateStatus(ctx, t.ref, func(obj *unstructured.Unstructured) error {
		status := statusOf(obj)
		fn(status)
		if t.workflowType == workflowPromise {
			ensurePromiseCounters(status)
		}
		return nil
	})
	if obj != nil {
		t.obj = obj
	}
	return err
}

// ensurePromiseCounters fills the counters the Promise CRD requires in
// every status write.
func ensurePromiseCounters(status map[string]any) {
	for _, k := range []string{"workflows", "workflowsSucceeded", "workflowsFailed"} {
		if _, ok := status[k]; !ok {
			status[k] = int64(0)
		}
	}
}

// workflowState is where a configure or delete workflow stands.
type workflowState int

const (
	workflowRunning workflowState = iota
	workflowSucceeded
	workflowFailed
	workflowSuspended
)

// reconcileConfigure drives the configure workflow one step, the way
// lib/workflow's ReconcileConfigure does: pipelines run one Job at a time,
// a new spec hash or the manual-reconciliation label starts over (after
// suspending a Job that is still running), and a failed Job ends the run.
func (e *Emulator) reconcileConfigure(ctx context.Context, t *workflowTarget) (workflowState, error) {
	pipelines := t.pipelines(actionConfigure)
	if len(pipelines) == 0 {
		return workflowSucceeded, nil
	}
	jobs, err := e.listJobs(ctx, t.jobNamespace, t.jobLabels(actionConfigure))
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
	restart := labelIsTrue(t.obj, labelManualReconciliation) || labelIsTrue(t.obj, labelRunFromStart)
	hash := t.hash()
	if jobRunning(latest) {
		if restart || latest.Labels[labelHash] != hash {
			return workflowRunning, e.suspendJob(ctx, latest)
		}
		return workflowRunning, nil
	}
	idx := pipelineIndex(pipelines, latest)
	if restart || latest == nil || latest.Labels[labelHash] != hash || idx < 0 {
		return workflowRunning, e.startRun(ctx, t, pipelines)
	}
	return e.afterJob(ctx, t, pipelines, idx, latest)
}

// refreshAfterJob re-reads the target once its latest Job has finished.
// The status-writer updates the parent before it completes the Job, so a
// read taken before the Job list can miss what the pipeline wrote (its
// suspension, say) and the next step would overwrite it.
func (e *Emulator) refreshAfterJob(ctx context.Context, t *workflowTarget, job *batchv1.Job) error {
	if job == nil || jobRunning(job) {
		return nil
	}
	obj, err := e.get(ctx, t.ref)
	if obj != nil {
		t.obj = obj
	}
	return err
}

// afterJob decides what follows a finished Job of the current run.
func (e *Emulator) afterJob(ctx context.Context, t *workflowTarget, pipelines []pipeline, idx int, job *batchv1.Job) (workflowState, error) {
	p := pipelines[idx]
	if jobFailed(job) {
		return workflowFailed, e.markWorkflowFailed(ctx, t, p, jobFailureMessage(job))
	}
	if pipelinePhase(statusOf(t.obj), p.Name) == phaseSuspended {
		if labelIsTrue(t.obj, labelWorkflowSuspended) {
			return workflowSuspended, e.setStatus(ctx, t, func(status map[string]any) {
				setCondition(status, condition{Type: condReconciled, Status: "Unknown", Reason: "WorkflowSuspended", Message: "Suspended"}, t.mode)
			})
		}
		// The label was removed: the suspended pipeline runs again.
		return workflowRunning, e.startPipeline(ctx, t, pipelines, idx)
	}
	if idx < len(pipelines)-1 {
		return workflowRunning, e.startPipeline(ctx, t, pipelines, idx+1)
	}
	if err := e.markWorkflowSucceeded(ctx, t, pipelines); err != nil {
		return workflowSucceeded, err
	}
	return workflowSucceeded, e.pruneJobs(ctx, t, pipelines)
}

// jobsToKeep is Kratix's default numberOfJobsToKeep per pipeline.
const jobsToKeep = 5

// pruneJobs deletes all but the newest jobsToKeep Jobs of each pipeline, as
// Kratix does once a workflow completes.
func (e *Emulator) pruneJobs(ctx context.Context, t *workflowTarget, pipelines []pipeline) error {
	for _, p := range pipelines {
		selector := t.jobLabels(actionConfigure)
		selector[labelPipelineName] = p.Name
		jobs, err := e.listJobs(ctx, t.jobNamespace, selector)
		if err != nil {
			return err
		}
		background := metav1.DeletePropagationBackground
		for i := jobsToKeep; i < len(jobs); i++ {
			err := e.kube.BatchV1().Jobs(jobs[i].Namespace).Delete(ctx, jobs[i].Name, metav1.DeleteOptions{PropagationPolicy: &background})
			if ignoreNotFound(err) != nil {
				return err
			}
		}
	}
	return nil
}

func pipelineIndex(pipelines []pipeline, job *batchv1.Job) int {
	if job == nil {
		return -1
	}
	for i, p := range pipelines {
		if p.Name == job.Labels[labelPipelineName] {
			return i
		}
	}
	return -1
}

// startRun begins the workflow from its first pipeline: one-shot labels
// go, every pipeline is Pending again and the counters restart.
func (e *Emulator) startRun(ctx context.Context, t *workflowTarget, pipelines []pipeline) error {
	obj, err := e.mutateObject(ctx, t.ref, func(obj *unstructured.Unstructured) error {
		setLabel(obj, labelManualReconciliation, "")
		setLabel(obj, labelRunFromStart, "")
		return nil
	})
	if err != nil {
		return err
	}
	if obj != nil {
		t.obj = obj
	}
	e.opts.Logf("%s %s: starting configure workflow (%d pipelines)", t.workflowType, t.obj.GetName(), len(pipelines))
	err = e.setStatus(ctx, t, func(status map[string]any) {
		resetPipelines(status, pipelineNames(pipelines))
		status["workflows"] = int64(len(pipelines))
		status["workflowsSucceeded"] = int64(0)
		status["workflowsFailed"] = int64(0)
	})
	if err != nil {
		return err
	}
	return e.startPipeline(ctx, t, pipelines, 0)
}

// startPipeline marks pipeline idx as running, then creates its Job. The
// status goes first so that the Job's own status-writer, which may finish
// very quickly, always writes after it.
func (e *Emulator) startPipeline(ctx context.Context, t *workflowTarget, pipelines []pipeline, idx int) error {
	p := pipelines[idx]
	err := e.setStatus(ctx, t, func(status map[string]any) {
		if status["message"] != msgPending {
			status["message"] = msgPending
		}
		setCondition(status, condition{Type: condReconciled, Status: "Unknown", Reason: "WorkflowPending", Message: msgPending}, t.mode)
		if !conditionIs(status, condConfigureWorkflowCompleted, "False") {
			setCondition(status, condition{Type: condConfigureWorkflowCompleted, Status: "False",
				Reason: "PipelinesInProgress", Message: msgPipelinesInProgress}, t.mode)
		}
		for _, done := range pipelines[:idx] {
			setPipelinePhase(status, done.Name, phaseSucceeded, "")
		}
		setPipelinePhase(status, p.Name, phaseRunning, "")
	})
	if err != nil {
		return err
	}
	return e.createJob(ctx, t, p, actionConfigure, idx == len(pipelines)-1)
}

func (e *Emulator) createJob(ctx context.Context, t *workflowTarget, p pipeline, action string, isLast bool) error {
	if err := e.ensureServiceAccount(ctx, t, p, action); err != nil {
		return err
	}
	job := t.buildJob(p, action, isLast)
	created, err := e.kube.BatchV1().Jobs(job.Namespace).Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("creating Job for pipeline %q: %w", p.Name, err)
	}
	e.opts.Logf("%s %s: %s pipeline %q started as Job %s/%s", t.workflowType, t.obj.GetName(), action, p.Name, created.Namespace, created.Name)
	return nil
}

// markWorkflowFailed records a failed configure pipeline (§5.4).
func (e *Emulator) markWorkflowFailed(ctx context.Context, t *workflowTarget, p pipeline, message string) error {
	return e.setStatus(ctx, t, func(status map[string]any) {
		setCondition(status, condition{Type: condConfigureWorkflowCompleted, Status: "False",
			Reason: "ConfigureWorkflowFailed", Message: "A Configure Pipeline has failed: " + p.Name}, t.mode)
		setCondition(status, condition{Type: condReconciled, Status: "False", Reason: "ConfigureWorkflowFailed", Message: "Failing"}, t.mode)
		status["workflowsFailed"] = int64(1)
		status["workflowsSucceeded"] = int64(0)
		setPipelinePhase(status, p.Name, phaseFailed, message)
	})
}

// markWorkflowSucceeded records a completed run. The last status-writer
// already set ConfigureWorkflowCompleted=True; the counters are all or
// nothing.
func (e *Emulator) markWorkflowSucceeded(ctx context.Context, t *workflowTarget, pipelines []pipeline) error {
	return e.setStatus(ctx, t, func(status map[string]any) {
		for _, p := range pipelines {
			setPipelinePhase(status, p.Name, phaseSucceeded, "")
		}
		if !conditionIs(status, condConfigureWorkflowCompleted, "True") {
			markCompleted(status, t.workflowType)
		}
		status["workflows"] = int64(len(pipelines))
		status["workflowsSucceeded"] = int64(len(pipelines))
		status["workflowsFailed"] = int64(0)
	})
}

// suspendJob is how Kratix stops a running Job it no longer wants.
func (e *Emulator) suspendJob(ctx context.Context, job *batchv1.Job) error {
	if job.Spec.Suspend != nil && *job.Spec.Suspend {
		return nil
	}
	e.opts.Logf("suspending Job %s/%s", job.Namespace, job.Name)
	_, err := e.kube.BatchV1().Jobs(job.Namespace).Patch(ctx, job.Name, types.MergePatchType,
		[]byte(`{"spec":{"suspend":true}}`), metav1.PatchOptions{})
	return ignoreNotFound(err)
}
