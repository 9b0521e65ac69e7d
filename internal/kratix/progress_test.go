package kratix

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var applied = time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC)

func ts(offset time.Duration) string { return applied.Add(offset).Format(time.RFC3339) }

func cond(condType, status, reason, message string, at time.Duration) map[string]any {
	return map[string]any{"type": condType, "status": status, "reason": reason, "message": message, "lastTransitionTime": ts(at)}
}

func request(generation int64, status map[string]any) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "marketplace.kratix.io/v1alpha1", "kind": "redis",
		"metadata": map[string]any{"name": "r", "namespace": "default", "generation": generation},
	}}
	if status != nil {
		obj.Object["status"] = status
	}
	return obj
}

func TestRequestWatch(t *testing.T) {
	inProgress := cond(CondConfigureWorkflowCompleted, "False", ReasonPipelinesInProgress, "Pipelines are still in progress", time.Second)
	succeeded := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "Pipelines completed", 2*time.Second)
	staleFailure := cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: configure", -time.Minute)
	freshFailure := cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: configure", 3*time.Second)
	failedPipelines := map[string]any{"workflows": map[string]any{"pipelines": []any{
		map[string]any{"name": "configure", "phase": "Failed", "message": "exit code 3: bad size"},
	}}}

	tests := []struct {
		name    string
		watch   RequestWatch
		obj     *unstructured.Unstructured
		want    State
		summary string
	}{
		{"not found", RequestWatch{Generation: 1, Created: true}, nil, Waiting, "does not exist"},
		{"no status yet", RequestWatch{Generation: 1, Created: true}, request(1, nil), Waiting, "start the configure workflow"},
		{"running", RequestWatch{Generation: 1, Created: true}, request(1, map[string]any{"conditions": []any{inProgress}}), Waiting, "PipelinesInProgress"},
		{"done", RequestWatch{Generation: 1, Created: true}, request(1, map[string]any{"observedGeneration": int64(1), "conditions": []any{succeeded}}), Done, ""},
		{"done without pipelines (no conditions at all)", RequestWatch{Generation: 1, Created: true}, request(1, map[string]any{"observedGeneration": int64(1)}), Done, ""},
		{"stale success from previous generation", RequestWatch{Generation: 2, AppliedAt: applied}, request(2, map[string]any{"observedGeneration": int64(1), "conditions": []any{succeeded}}), Waiting, ""},
		{"failed on create", RequestWatch{Generation: 1, Created: true}, request(1, map[string]any{"conditions": []any{freshFailure}, "kratix": failedPipelines}), Failed, "exit code 3: bad size"},
		{"stale failure ignored on update", RequestWatch{Generation: 2, AppliedAt: applied}, request(2, map[string]any{"observedGeneration": int64(1), "conditions": []any{staleFailure}}), Waiting, ""},
		{"failure after the apply counts on update", RequestWatch{Generation: 2, AppliedAt: applied}, request(2, map[string]any{"observedGeneration": int64(1), "conditions": []any{freshFailure}}), Failed, `"configure"`},
		{"delivered waits for WorksSucceeded", RequestWatch{Generation: 1, Created: true, Delivered: true}, request(1, map[string]any{"observedGeneration": int64(1), "conditions": []any{succeeded, cond(CondWorksSucceeded, "Unknown", "WorksPending", "", 0)}}), Waiting, "WorksPending"},
		{"delivered: then the WorkPlacements' writes", RequestWatch{Generation: 1, Created: true, Delivered: true}, request(1, map[string]any{"observedGeneration": int64(1), "conditions": []any{succeeded, cond(CondWorksSucceeded, "True", "WorksSucceeded", "", 0)}}), Waiting, "reading its WorkPlacements"},
		{"delivered without resource configure pipelines", RequestWatch{Generation: 1, Created: true, Delivered: true}, request(1, map[string]any{"observedGeneration": int64(1)}), Done, "nothing to deliver"},
		{"promise unavailable", RequestWatch{Generation: 1, Created: true}, request(1, map[string]any{"conditions": []any{cond(CondPromiseAvailable, "False", "PromiseRequirementsNotInstalled", "Promise Requirements are not installed", 0)}}), Waiting, "not available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.watch
			got := w.Observe(tt.obj)
			if got.State != tt.want {
				t.Fatalf("state = %v (%s), want %v", got.State, got.Summary, tt.want)
			}
			if !strings.Contains(got.Summary, tt.summary) {
				t.Errorf("summary %q does not contain %q", got.Summary, tt.summary)
			}
		})
	}
}

func workPlacement(name string, conditions ...any) unstructured.Unstructured {
	wp := unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"conditions": conditions}}}
	wp.SetName(name)
	return wp
}

// TestRequestWatchDeliveredWaitsForWrites: WorksSucceeded=True says only
// that Kratix created the WorkPlacements; delivered waits for each to
// report WriteSucceeded=True.
func TestRequestWatchDeliveredWaitsForWrites(t *testing.T) {
	succeeded := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", 2*time.Second)
	scheduled := request(1, map[string]any{"observedGeneration": int64(1), "conditions": []any{succeeded, cond(CondWorksSucceeded, "True", "WorksSucceeded", "", 0)}})
	pendingWorks := request(1, map[string]any{"observedGeneration": int64(1), "conditions": []any{succeeded, cond(CondWorksSucceeded, "Unknown", "WorksPending", "", 0)}})
	written := cond(CondWriteSucceeded, "True", "WorkloadsWrittenToStateStore", "", 3*time.Second)
	failed := cond(CondWriteSucceeded, "False", "WorkloadsFailedWrite", "authentication required", 3*time.Second)

	w := &RequestWatch{Generation: 1, Created: true, Delivered: true}
	if got := w.Observe(pendingWorks); got.State != Waiting || w.AwaitsWrites() {
		t.Fatalf("Works pending: %+v, awaits writes %v", got, w.AwaitsWrites())
	}
	if got := w.Observe(scheduled); got.State != Waiting || !got.Delivering || !w.AwaitsWrites() {
		t.Fatalf("scheduled, WorkPlacements not read: %+v, awaits writes %v", got, w.AwaitsWrites())
	}
	w.ObservePlacements([]unstructured.Unstructured{workPlacement("w.dest-b", written), workPlacement("w.dest-a")}, true)
	if got := w.Observe(scheduled); got.State != Waiting || !w.AwaitsWrites() || !strings.Contains(got.Summary, "WorkPlacement w.dest-a to its state store") {
		t.Fatalf("one not written: %+v", got)
	}
	w.ObservePlacements([]unstructured.Unstructured{workPlacement("w.dest-b", written), workPlacement("w.dest-a", failed)}, true)
	if got := w.Observe(scheduled); got.State != Waiting || !strings.Contains(got.Summary, "authentication required") {
		t.Fatalf("one failed to write: %+v", got)
	}
	if got := w.Observe(pendingWorks); got.State != Waiting || w.AwaitsWrites() {
		t.Fatalf("Works pending again: %+v, awaits writes %v", got, w.AwaitsWrites())
	}
	gone := workPlacement("w.old-c")
	gone.SetDeletionTimestamp(&metav1.Time{Time: applied})
	w.ObservePlacements([]unstructured.Unstructured{workPlacement("w.dest-b", written), workPlacement("w.dest-a", written), gone}, true)
	if got := w.Observe(scheduled); got.State != Done || w.AwaitsWrites() {
		t.Fatalf("all written: %+v", got)
	}

	unreadable := &RequestWatch{Generation: 1, Created: true, Delivered: true}
	unreadable.ObservePlacements(nil, false)
	if got := unreadable.Observe(scheduled); got.State != Done {
		t.Fatalf("WorkPlacements not readable: WorksSucceeded decides, got %+v", got)
	}
	none := &RequestWatch{Generation: 1, Created: true, Delivered: true}
	none.ObservePlacements(nil, true)
	if got := none.Observe(scheduled); got.State != Done {
		t.Fatalf("no WorkPlacements: %+v", got)
	}
	configured := &RequestWatch{Generation: 1, Created: true}
	if got := configured.Observe(scheduled); got.State != Done || configured.AwaitsWrites() {
		t.Fatalf("wait_for = configured: %+v", got)
	}
}

// A stale failure stops being ignored once the watch saw the new run start.
func TestRequestWatchFailureAfterRunSeen(t *testing.T) {
	w := RequestWatch{Generation: 2, AppliedAt: applied}
	running := cond(CondConfigureWorkflowCompleted, "False", ReasonPipelinesInProgress, "", -2*time.Minute)
	if got := w.Observe(request(2, map[string]any{"conditions": []any{running}})); got.State != Waiting {
		t.Fatalf("running: %v", got)
	}
	// Same second as an old failure would be, but after the run was seen.
	failed := cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: p1", -time.Minute)
	got := w.Observe(request(2, map[string]any{"conditions": []any{failed}}))
	if got.State != Failed || got.Pipeline != "p1" {
		t.Fatalf("got %+v, want failure of p1", got)
	}
}

func promise(status map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.kratix.io/v1alpha1", "kind": "Promise",
		"metadata": map[string]any{"name": "redis", "generation": int64(1)},
		"status":   status,
	}}
}

func TestPromiseWatch(t *testing.T) {
	available := cond(CondAvailable, "True", "PromiseAvailable", "Ready to fulfil resource requests", 0)
	staleDone := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", -time.Hour)
	freshDone := cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "", 5*time.Second)
	failed := cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: promise-configure", 5*time.Second)
	tests := []struct {
		name  string
		watch PromiseWatch
		obj   *unstructured.Unstructured
		want  State
	}{
		{"available without pipelines", PromiseWatch{SpecChanged: true, AppliedAt: applied}, promise(map[string]any{"conditions": []any{available}}), Done},
		{"available but pipeline not done", PromiseWatch{SpecChanged: true, AppliedAt: applied, HasConfigurePipelines: true}, promise(map[string]any{"conditions": []any{available}}), Waiting},
		{"stale configure success after a spec change", PromiseWatch{SpecChanged: true, AppliedAt: applied, HasConfigurePipelines: true}, promise(map[string]any{"conditions": []any{available, staleDone}}), Waiting},
		{"old success is fine without a spec change", PromiseWatch{AppliedAt: applied, HasConfigurePipelines: true}, promise(map[string]any{"conditions": []any{available, staleDone}}), Done},
		{"fresh success", PromiseWatch{SpecChanged: true, AppliedAt: applied, HasConfigurePipelines: true}, promise(map[string]any{"conditions": []any{available, freshDone}}), Done},
		{"failed", PromiseWatch{SpecChanged: true, AppliedAt: applied, HasConfigurePipelines: true}, promise(map[string]any{"conditions": []any{failed}}), Failed},
		{"unavailable", PromiseWatch{SpecChanged: true, AppliedAt: applied}, promise(map[string]any{"conditions": []any{cond(CondAvailable, "False", "PromiseUnavailable", "Cannot fulfil resource requests", 0)}}), Waiting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.watch
			if got := w.Observe(tt.obj); got.State != tt.want {
				t.Fatalf("state = %v (%s), want %v", got.State, got.Summary, tt.want)
			}
		})
	}
}

// TestPromiseWatchWaitsForTheRequestsGeneration: after an update of an API
// Promise's spec, Available=True from before is not enough: Kratix marks the
// requests for a re-run with the new spec before it sets
// status.observedGeneration. Not asked on create, for a Promise without an
// API, nor while the Promise is paused.
func TestPromiseWatchWaitsForTheRequestsGeneration(t *testing.T) {
	observed := func(gen int64, labels map[string]string) *unstructured.Unstructured {
		p := promise(map[string]any{"observedGeneration": gen, "conditions": []any{cond(CondAvailable, "True", "PromiseAvailable", "", -time.Hour)}})
		p.SetGeneration(3)
		p.SetLabels(labels)
		_ = unstructured.SetNestedMap(p.Object, map[string]any{"apiVersion": "apiextensions.k8s.io/v1"}, "spec", "api")
		return p
	}
	p := observed(2, nil)
	if got := RequestsGenerationOf(p, true); got != 3 {
		t.Fatalf("RequestsGenerationOf(updated API Promise) = %d, want 3", got)
	}
	w := &PromiseWatch{AppliedAt: applied, SpecChanged: true, RequestsGeneration: RequestsGenerationOf(p, true)}
	if got := w.Observe(p); got.State != Waiting || !strings.Contains(got.Summary, "generation 3") {
		t.Fatalf("generation 2 observed: %+v", got)
	}
	if got := w.Observe(observed(3, nil)); got.State != Done {
		t.Fatalf("generation 3 observed: %+v", got)
	}
	if got := w.Observe(observed(2, map[string]string{LabelPaused: "true"})); got.State != Done {
		t.Fatalf("paused Promise: %+v", got)
	}
	if got := RequestsGenerationOf(p, false); got != 0 {
		t.Fatalf("RequestsGenerationOf(created or unchanged) = %d, want 0", got)
	}
	first := observed(0, nil)
	first.SetGeneration(1)
	if got := RequestsGenerationOf(first, true); got != 0 {
		t.Fatalf("RequestsGenerationOf(generation 1) = %d, want 0", got)
	}
	unstructured.RemoveNestedField(p.Object, "spec", "api")
	if got := RequestsGenerationOf(p, true); got != 0 {
		t.Fatalf("RequestsGenerationOf(no API) = %d, want 0", got)
	}
}

// TestPromiseWatchWaitsForTheRevision: where Kratix keeps PromiseRevisions,
// a Promise with a version is usable once the revision of that version is
// latest; without a version, or without PromiseRevisions, nothing changes.
func TestPromiseWatchWaitsForTheRevision(t *testing.T) {
	available := promise(map[string]any{"conditions": []any{cond(CondAvailable, "True", "PromiseAvailable", "", 0)}})
	unavailable := promise(map[string]any{"conditions": []any{cond(CondAvailable, "False", "PromiseUnavailable", "", 0)}})
	v1 := Revision{Version: "v1", Latest: true, Labelled: true, Created: applied.Add(-time.Hour)}
	v2 := Revision{Version: "v2", Labelled: true, Created: applied}

	w := &PromiseWatch{AppliedAt: applied, Version: "v2"}
	if got := w.Observe(unavailable); got.State != Waiting || w.AwaitsRevision() {
		t.Fatalf("unavailable: %+v, awaits revision %v", got, w.AwaitsRevision())
	}
	if got := w.Observe(available); got.State != Waiting || !w.AwaitsRevision() {
		t.Fatalf("revisions not read yet: %+v, awaits revision %v", got, w.AwaitsRevision())
	}
	w.ObserveRevisions([]Revision{v1}, true)
	if got := w.Observe(available); got.State != Waiting || !w.AwaitsRevision() || !strings.Contains(got.Summary, `create the PromiseRevision of version "v2"`) {
		t.Fatalf("no revision of v2: %+v", got)
	}
	w.ObserveRevisions([]Revision{v1, v2}, true)
	if got := w.Observe(available); got.State != Waiting || !strings.Contains(got.Summary, "latest") {
		t.Fatalf("v2 not latest yet: %+v", got)
	}
	if got := w.Observe(unavailable); got.State != Waiting || w.AwaitsRevision() {
		t.Fatalf("unavailable again: %+v, awaits revision %v", got, w.AwaitsRevision())
	}
	v2.Latest = true
	w.ObserveRevisions([]Revision{v1, v2}, true)
	if got := w.Observe(available); got.State != Done || w.AwaitsRevision() {
		t.Fatalf("v2 latest: %+v", got)
	}

	noRevisions := &PromiseWatch{AppliedAt: applied, Version: "v2"}
	noRevisions.ObserveRevisions(nil, false)
	if got := noRevisions.Observe(available); got.State != Done {
		t.Fatalf("a Kratix without PromiseRevisions: %+v", got)
	}
	unversioned := &PromiseWatch{AppliedAt: applied}
	if got := unversioned.Observe(available); got.State != Done || unversioned.AwaitsRevision() {
		t.Fatalf("a Promise without a version: %+v", got)
	}
}

func TestDeleteOutcome(t *testing.T) {
	if got := DeleteOutcome(nil); got.State != Done {
		t.Fatalf("gone object: %v", got)
	}
	stuck := promise(map[string]any{"conditions": []any{cond(CondDeleteWorkflowCompleted, "False", ReasonDeleteWorkflowFailed, "The Delete Pipeline has failed", 0)}})
	if got := DeleteOutcome(stuck); got.State != Failed || !strings.Contains(got.Summary, "Delete Pipeline has failed") {
		t.Fatalf("failed delete: %+v", got)
	}
	deleting := promise(map[string]any{})
	deleting.SetFinalizers([]string{"kratix.io/workflows-cleanup"})
	if got := DeleteOutcome(deleting); got.State != Waiting || !strings.Contains(got.Summary, "workflows-cleanup") {
		t.Fatalf("deleting: %+v", got)
	}
}

func TestRequestWatchRerunIgnoresTheEarlierCompletion(t *testing.T) {
	completed := func(at time.Duration) *unstructured.Unstructured {
		return request(2, map[string]any{"observedGeneration": int64(2), "conditions": []any{
			cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "Pipelines completed", at),
		}})
	}
	w := &RequestWatch{Generation: 2, AppliedAt: applied, Rerun: true}
	if out := w.Observe(completed(-time.Minute)); out.State != Waiting {
		t.Fatalf("a completion from before the re-run was asked for counted: %+v", out)
	}
	if out := w.Observe(completed(time.Second)); out.State != Done {
		t.Fatalf("the re-run's completion did not count: %+v", out)
	}
}

// The pipeline already shows Running while the condition still carries the
// previous run's failure: that failure is not this run's.
func TestRequestWatchOldFailureWhileNewRunStarts(t *testing.T) {
	w := RequestWatch{Generation: 2, AppliedAt: applied}
	oldFailure := cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: p1", -time.Minute)
	running := map[string]any{"workflows": map[string]any{"pipelines": []any{map[string]any{"name": "p1", "phase": "Running"}}}}
	got := w.Observe(request(2, map[string]any{"conditions": []any{oldFailure}, "kratix": running}))
	if got.State != Waiting {
		t.Fatalf("got %+v, want waiting for the new run", got)
	}
}

// A failure stamped with the second in which the re-run was asked for is
// the previous run's, unless the watch saw the new run start.
func TestRequestWatchRerunIgnoresAFailureOfTheSameSecond(t *testing.T) {
	w := RequestWatch{Generation: 2, AppliedAt: applied, Rerun: true}
	sameSecond := cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: p1", 0)
	if got := w.Observe(request(2, map[string]any{"conditions": []any{sameSecond}})); got.State != Waiting {
		t.Fatalf("got %+v, want waiting for the re-run", got)
	}
	inProgress := cond(CondConfigureWorkflowCompleted, "False", ReasonPipelinesInProgress, "", 0)
	w.Observe(request(2, map[string]any{"conditions": []any{inProgress}}))
	if got := w.Observe(request(2, map[string]any{"conditions": []any{sameSecond}})); got.State != Failed {
		t.Fatalf("got %+v, want the re-run's failure once it was seen to start", got)
	}
}

// A re-run that fails within the second it was asked for, before the watch
// sees it start, is this run's failure when the request had not failed
// before; a failure the request already had before stays the previous run's.
func TestRequestWatchBaselineDatesAFastFailure(t *testing.T) {
	sameSecond := request(2, map[string]any{"conditions": []any{
		cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: p1", 0),
	}})
	completedBefore := request(2, map[string]any{"observedGeneration": int64(2), "conditions": []any{
		cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "Pipelines completed", -time.Minute),
	}})

	fresh := RequestWatch{Generation: 2, AppliedAt: applied, Rerun: true}
	fresh.Baseline(completedBefore)
	if got := fresh.Observe(sameSecond); got.State != Failed {
		t.Fatalf("got %+v, want the re-run's failure", got)
	}

	stale := RequestWatch{Generation: 2, AppliedAt: applied, Rerun: true}
	stale.Baseline(sameSecond)
	if got := stale.Observe(sameSecond); got.State != Waiting {
		t.Fatalf("got %+v, want the failure from before the re-run ignored", got)
	}
}

func TestRequestsRerunBaseline(t *testing.T) {
	before := *request(2, map[string]any{"observedGeneration": int64(2), "conditions": []any{
		cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "Pipelines completed", -time.Minute),
	}})
	after := *request(2, map[string]any{"observedGeneration": int64(2), "conditions": []any{
		cond(CondConfigureWorkflowCompleted, "False", ReasonConfigureWorkflowFailed, "A Configure Pipeline has failed: p1", 0),
	}})
	rerun := RequestsRerun{Since: applied}
	rerun.Baseline([]unstructured.Unstructured{before})
	if got := rerun.Observe([]unstructured.Unstructured{after}); len(got.Failed) != 1 || !got.Finished() {
		t.Fatalf("got %+v, want the request's re-run failed", got)
	}
	if got := (&RequestsRerun{Since: applied}).Observe([]unstructured.Unstructured{after}); got.Finished() {
		t.Fatalf("without a baseline a failure of the same second is the previous run's; got %+v", got)
	}
}

// While the re-run label is on, Kratix has not started the run: a
// completion shown then, even one stamped after the label, is the
// previous run's.
func TestRequestWatchRerunWaitsForTheLabelToGo(t *testing.T) {
	completed := request(2, map[string]any{"observedGeneration": int64(2), "conditions": []any{
		cond(CondConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully", "Pipelines completed", 0),
	}})
	completed.SetLabels(map[string]string{LabelManualReconciliation: "true"})
	w := RequestWatch{Generation: 2, AppliedAt: applied, Rerun: true}
	if got := w.Observe(completed); got.State != Waiting || !strings.Contains(got.Summary, LabelManualReconciliation) {
		t.Fatalf("got %+v, want waiting for Kratix to take the label off", got)
	}
	completed.SetLabels(nil)
	if got := w.Observe(completed); got.State != Done {
		t.Fatalf("got %+v, want done once the label is gone", got)
	}
}
