package kratix

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// rerunRequest is a configured request of generation 1 named name, with
// extra status conditions and labels.
func rerunRequest(name string, labels map[string]string, conditions ...any) unstructured.Unstructured {
	obj := request(1, map[string]any{"observedGeneration": int64(1), "conditions": conditions})
	obj.SetName(name)
	obj.SetLabels(labels)
	return *obj
}

func TestRequestsRerun(t *testing.T) {
	before := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", -time.Minute)
	running := cond(CondConfigureWorkflowCompleted, "False", ReasonPipelinesInProgress, "", time.Second)
	after := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", 5*time.Second)
	failed := cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: configure", 5*time.Second)
	labelled := map[string]string{LabelManualReconciliation: "true"}

	r := &RequestsRerun{Since: applied}
	// Kratix has labelled a, is running b; c still shows its old success
	// (not re-run yet), d has re-run already, e is paused.
	p := r.Observe([]unstructured.Unstructured{
		rerunRequest("a", labelled, before),
		rerunRequest("b", nil, running),
		rerunRequest("c", nil, before),
		rerunRequest("d", nil, after),
		rerunRequest("e", map[string]string{LabelPaused: "true"}, before),
	})
	if p.Total != 5 || p.Done != 1 || len(p.Pending) != 3 || len(p.Blocked) != 1 || p.Finished() {
		t.Fatalf("first listing: %+v", p)
	}
	if !strings.Contains(p.Pending[0], "default/a: waiting for Kratix to start the re-run") {
		t.Errorf("pending a: %q", p.Pending[0])
	}
	if !strings.Contains(p.Blocked[0], "default/e: reconciliation is paused") {
		t.Errorf("blocked e: %q", p.Blocked[0])
	}

	// a re-runs and succeeds; b fails; c re-runs and succeeds; a request
	// being deleted is not waited for.
	gone := rerunRequest("f", nil, before)
	gone.SetDeletionTimestamp(&metav1.Time{Time: applied})
	p = r.Observe([]unstructured.Unstructured{
		rerunRequest("a", nil, after),
		rerunRequest("b", nil, failed),
		rerunRequest("c", nil, after),
		rerunRequest("d", nil, after),
		rerunRequest("e", map[string]string{LabelPaused: "true"}, before),
		gone,
	})
	if !p.Finished() || p.Total != 5 || p.Done != 3 || len(p.Failed) != 1 {
		t.Fatalf("second listing: %+v", p)
	}
	if !strings.Contains(p.Failed[0].String(), `default/b: configure pipeline "configure" failed`) {
		t.Errorf("failed b: %q", p.Failed[0])
	}
}

// A failure from before the update is the previous run's, not the re-run's.
func TestRequestsRerunIgnoresOldFailure(t *testing.T) {
	old := cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: configure", -time.Minute)
	r := &RequestsRerun{Since: applied}
	p := r.Observe([]unstructured.Unstructured{rerunRequest("a", nil, old)})
	if len(p.Failed) != 0 || len(p.Pending) != 1 {
		t.Fatalf("an old failure must leave the request pending: %+v", p)
	}
}

// The requests listed before the update (Baseline) are followed from the
// time the update was written, set afterwards: a completion from before it
// is not the re-run's, even once Kratix has removed its label (Kratix 2026
// removes it a second before it resets ConfigureWorkflowCompleted).
func TestRequestsRerunBaselineBeforeSince(t *testing.T) {
	before := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", -time.Minute)
	after := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", 5*time.Second)
	r := &RequestsRerun{}
	r.Baseline([]unstructured.Unstructured{rerunRequest("a", nil, before), rerunRequest("b", nil, before)})
	r.Since = applied
	p := r.Observe([]unstructured.Unstructured{
		rerunRequest("a", nil, before),
		rerunRequest("b", map[string]string{LabelWorkflowRunFromStart: "true"}, before),
	})
	if p.Done != 0 || len(p.Pending) != 2 {
		t.Fatalf("the old completions must leave both requests pending: %+v", p)
	}
	if !strings.Contains(p.Pending[1], "default/b: waiting for Kratix to start the re-run (it removes the label "+LabelWorkflowRunFromStart) {
		t.Errorf("pending b: %q", p.Pending[1])
	}
	p = r.Observe([]unstructured.Unstructured{rerunRequest("a", nil, after), rerunRequest("b", nil, after)})
	if !p.Finished() || p.Done != 2 {
		t.Fatalf("after the re-runs: %+v", p)
	}
}
