package kratix

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// labelled sets the object's labels and returns it.
func labelled(obj *unstructured.Unstructured, labels map[string]string) *unstructured.Unstructured {
	obj.SetLabels(labels)
	return obj
}

func pipelines(phases ...string) map[string]any {
	items := make([]any, 0, len(phases)/2)
	for i := 0; i+1 < len(phases); i += 2 {
		items = append(items, map[string]any{"name": phases[i], "phase": phases[i+1], "message": "pipeline said " + phases[i+1]})
	}
	return map[string]any{"workflows": map[string]any{"pipelines": items}}
}

func TestRunWatchRerunWaitsForKratixToTakeTheLabel(t *testing.T) {
	w := NewRequestRerun(1, applied, false)
	done := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", -time.Minute)
	status := map[string]any{"observedGeneration": int64(1), "conditions": []any{done}}
	got := w.Observe(labelled(request(1, status), map[string]string{LabelManualReconciliation: "true"}))
	if got.State != Waiting || !strings.Contains(got.Summary, "waiting for Kratix to start the run") {
		t.Fatalf("labelled: got %+v", got)
	}
	// The label is gone, but the completion is the previous run's.
	if got := w.Observe(request(1, status)); got.State != Waiting {
		t.Fatalf("old completion: got %+v, want waiting", got)
	}
	running := map[string]any{"observedGeneration": int64(1), "kratix": pipelines("configure", PhaseRunning),
		"conditions": []any{cond(CondConfigureWorkflowCompleted, "False", ReasonPipelinesInProgress, "", time.Second)}}
	if got := w.Observe(request(1, running)); got.State != Waiting || !strings.Contains(got.Summary, `pipeline "configure" is running`) {
		t.Fatalf("running: got %+v", got)
	}
	completed := map[string]any{"observedGeneration": int64(1), "kratix": pipelines("configure", PhaseSucceeded),
		"conditions": []any{cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", 3*time.Second)}}
	if got := w.Observe(request(1, completed)); got.State != Done {
		t.Fatalf("completed: got %+v, want done", got)
	}
}

// Kratix leaves ConfigureWorkflowCompleted=False as it was when a failed
// object runs again, so only the pipeline phases tell that the new run
// failed too.
// The label goes a moment before Kratix resets the status, so a
// completion in the second the run was asked for proves nothing.
func TestRunWatchRerunIgnoresACompletionOfTheSameSecond(t *testing.T) {
	sameSecond := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", 0)
	status := map[string]any{"observedGeneration": int64(1), "conditions": []any{sameSecond}}
	w := NewRequestRerun(1, applied, false)
	if got := w.Observe(request(1, status)); got.State != Waiting {
		t.Fatalf("got %+v, want waiting for the run to start", got)
	}
	later := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", 2*time.Second)
	if got := w.Observe(request(1, map[string]any{"observedGeneration": int64(1), "conditions": []any{later}})); got.State != Done {
		t.Fatalf("got %+v, want done once the completion is newer", got)
	}
}

func TestRunWatchRerunOfAFailedObjectThatFailsAgain(t *testing.T) {
	oldFailure := cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: configure", -time.Minute)
	at := func(phase string) *unstructured.Unstructured {
		return request(1, map[string]any{"observedGeneration": int64(1), "conditions": []any{oldFailure}, "kratix": pipelines("configure", phase)})
	}
	w := NewRequestRerun(1, applied, false)
	if got := w.Observe(at(PhaseFailed)); got.State != Waiting {
		t.Fatalf("before the new run: got %+v, want waiting", got)
	}
	if got := w.Observe(at(PhasePending)); got.State != Waiting {
		t.Fatalf("new run pending: got %+v, want waiting", got)
	}
	got := w.Observe(at(PhaseFailed))
	if got.State != Failed || got.Pipeline != "configure" || !strings.Contains(got.Summary, "pipeline said Failed") {
		t.Fatalf("new run failed: got %+v", got)
	}
}

func TestRunWatchPromiseRerunFails(t *testing.T) {
	w := NewPromiseRerun(applied, false)
	before := promise(map[string]any{"conditions": []any{
		cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", -time.Minute),
		cond(CondAvailable, "True", "PromiseAvailable", "", -time.Minute),
	}})
	if got := w.Observe(before); got.State != Waiting {
		t.Fatalf("old completion: got %+v, want waiting", got)
	}
	failed := promise(map[string]any{"kratix": pipelines("setup", PhaseFailed), "conditions": []any{
		cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: setup", 2*time.Second),
	}})
	if got := w.Observe(failed); got.State != Failed || got.Pipeline != "setup" {
		t.Fatalf("failed: got %+v", got)
	}
}

func TestRunWatchResume(t *testing.T) {
	suspendedAgain := map[string]string{LabelWorkflowSuspended: "true"}
	status := map[string]any{"kratix": pipelines("configure", PhaseSuspended),
		"conditions": []any{cond(CondConfigureWorkflowCompleted, "False", ReasonPipelinesInProgress, "", -time.Minute)}}
	w := NewRequestRerun(1, applied, true)
	if got := w.Observe(request(1, status)); got.State != Waiting || !strings.Contains(got.Summary, "suspended") {
		t.Fatalf("resumed, pipeline not restarted yet: got %+v", got)
	}
	running := map[string]any{"kratix": pipelines("configure", PhaseRunning)}
	if got := w.Observe(request(1, running)); got.State != Waiting {
		t.Fatalf("running again: got %+v, want waiting", got)
	}
	// Kratix labels the object before it records the suspension.
	if got := w.Observe(labelled(request(1, running), suspendedAgain)); got.State != Waiting {
		t.Fatalf("label back, pipeline still running: got %+v, want waiting", got)
	}
	got := w.Observe(labelled(request(1, status), suspendedAgain))
	if got.State != Failed || !got.Suspended || !strings.Contains(got.Summary, `pipeline "configure" suspended the workflow: pipeline said Suspended`) {
		t.Fatalf("suspended again: got %+v", got)
	}

	// A resume that Kratix has not seen yet is not a new suspension.
	w = NewRequestRerun(1, applied, true)
	if got := w.Observe(labelled(request(1, status), suspendedAgain)); got.State != Waiting {
		t.Fatalf("label still there: got %+v, want waiting", got)
	}
}

func TestRunWatchRerunSuspended(t *testing.T) {
	w := NewRequestRerun(1, applied, false)
	w.Observe(request(1, map[string]any{"kratix": pipelines("configure", PhaseRunning)}))
	got := w.Observe(labelled(request(1, map[string]any{"kratix": pipelines("configure", PhaseSuspended)}),
		map[string]string{LabelWorkflowSuspended: "true"}))
	if got.State != Failed || !got.Suspended || got.Pipeline != "configure" {
		t.Fatalf("got %+v, want the suspension reported", got)
	}
}

func TestRunWatchObjectDeleted(t *testing.T) {
	if got := NewPromiseRerun(applied, false).Observe(nil); got.State != Failed || !strings.Contains(got.Summary, "deleted") {
		t.Fatalf("got %+v", got)
	}
}

func TestPatches(t *testing.T) {
	if got := string(RerunPatch("u1")); got != `{"metadata":{"uid":"u1","labels":{"kratix.io/manual-reconciliation":"true"}}}` {
		t.Errorf("RerunPatch: %s", got)
	}
	if got := string(ResumePatch("u1")); got != `{"metadata":{"uid":"u1","labels":{"kratix.io/workflow-suspended":null}}}` {
		t.Errorf("ResumePatch: %s", got)
	}
}
