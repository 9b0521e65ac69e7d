package emulator

import (
	"context"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
)

// fakeEmulator is an Emulator on fake clients holding obj (at the given ref) and the
// given Job.
func fakeEmulator(t *testing.T, at ref, obj *unstructured.Unstructured, job *batchv1.Job) *Emulator {
	t.Helper()
	e := &Emulator{
		opts: Options{Logf: t.Logf},
		dyn:  dynamicfake.NewSimpleDynamicClient(runtime.NewScheme()),
		kube: kubefake.NewSimpleClientset(job),
	}
	if _, err := e.client(at).Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestReconcileConfigureReadsAfterTheJob: the reconciler read the request
// while its last pipeline was still running; by the time it lists the Jobs
// the pipeline has suspended itself (label and status first, then the Job
// completes). The step must go by what the pipeline wrote, not mark the
// workflow succeeded over the suspension.
func TestReconcileConfigureReadsAfterTheJob(t *testing.T) {
	stale := testTarget(t, "")
	pipelines := stale.pipelines(actionConfigure)
	statusWith := func(lastPhase string) map[string]any {
		return map[string]any{"kratix": map[string]any{"workflows": map[string]any{"pipelines": []any{
			map[string]any{"name": pipelines[0].Name, "phase": phaseSucceeded},
			map[string]any{"name": pipelines[1].Name, "phase": lastPhase},
		}}}}
	}
	stale.obj.Object["status"] = statusWith(phaseRunning)
	written := stale.obj.DeepCopy()
	written.SetLabels(map[string]string{labelWorkflowSuspended: "true"})
	written.Object["status"] = statusWith(phaseSuspended)

	job := stale.buildJob(pipelines[1], actionConfigure, true)
	jobSucceededStatus(&job.Status)
	e := fakeEmulator(t, stale.ref, written, job)

	state, err := e.reconcileConfigure(context.Background(), stale)
	if err != nil {
		t.Fatal(err)
	}
	if state != workflowSuspended {
		t.Errorf("state %d, want workflowSuspended (%d)", state, workflowSuspended)
	}
	after, err := e.get(context.Background(), stale.ref)
	if err != nil {
		t.Fatal(err)
	}
	if got := pipelinePhase(statusOf(after), pipelines[1].Name); got != phaseSuspended {
		t.Errorf("pipeline %q phase %q after the step, want %s:\n%v", pipelines[1].Name, got, phaseSuspended, statusOf(after))
	}
	if conditionIs(statusOf(after), condConfigureWorkflowCompleted, "True") {
		t.Errorf("a suspended workflow was marked completed: %v", statusOf(after))
	}
}

// TestReconcileConfigureRunsANewSpec: the reconciler was handed the request
// before its spec changed, and re-reads it during the step. The step must go
// by the spec it read last: the finished Jobs are the old spec's, so the
// workflow runs again instead of marking the new generation configured.
func TestReconcileConfigureRunsANewSpec(t *testing.T) {
	stale := testTarget(t, "")
	pipelines := stale.pipelines(actionConfigure)
	job := stale.buildJob(pipelines[len(pipelines)-1], actionConfigure, false)
	jobSucceededStatus(&job.Status)
	updated := stale.obj.DeepCopy()
	updated.SetGeneration(2)
	updated.Object["spec"] = map[string]any{"size": "large"}
	e := fakeEmulator(t, stale.ref, updated, job)

	state, err := e.reconcileConfigure(context.Background(), stale)
	if err != nil {
		t.Fatal(err)
	}
	if state != workflowRunning {
		t.Errorf("state %d, want workflowRunning (%d)", state, workflowRunning)
	}
	jobs, err := e.listJobs(context.Background(), stale.jobNamespace, stale.jobLabels(actionConfigure))
	if err != nil {
		t.Fatal(err)
	}
	want := requestHash(stale.promise.Object, updated.Object)
	if len(jobs) != 2 || jobs[0].Labels[labelHash] != want {
		t.Errorf("want a new run for the updated spec (a Job with hash %s), got %d Jobs, the newest with hash %s", want, len(jobs), jobs[0].Labels[labelHash])
	}
}
