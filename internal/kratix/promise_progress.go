package kratix

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// PromiseWatch decides when a Promise is usable after an apply
// (kratix-api.md §3.3): Available=True, plus ConfigureWorkflowCompleted=True
// when the Promise has promise configure pipelines, and, after an update
// that changed the API Promise's spec, status.observedGeneration (see
// RequestsGeneration). Reconciled is deliberately ignored: Kratix leaves it
// stale.
type PromiseWatch struct {
	AppliedAt time.Time
	// SpecChanged is true on create and on updates that changed the spec
	// (a new generation); only then does Kratix re-run the workflow, so
	// only then can a ConfigureWorkflowCompleted=True be stale.
	SpecChanged           bool
	HasConfigurePipelines bool
	// Version is the Promise's kratix.io/promise-version label, "" when it
	// has none. Where Kratix serves PromiseRevisions (2026 on), a Promise
	// with a version is usable only once Kratix has settled the revision
	// of that version (RevisionSettled): the watch then also needs the
	// Promise's revisions (ObserveRevisions).
	Version string
	// RequestsGeneration, when set, is the generation Kratix must have
	// observed before the Promise counts as usable (see
	// RequestsGenerationOf).
	RequestsGeneration int64
	runSeen            bool
	// revisions is what ObserveRevisions was last told; nil before.
	revisions *revisionsSeen
	// awaitsRevision: the last Observe found the Promise usable but for
	// its revision.
	awaitsRevision bool
}

type revisionsSeen struct {
	served bool
	list   []Revision
}

// ObserveRevisions gives the watch the Promise's PromiseRevisions; served
// is false where the cluster has no PromiseRevisions (Kratix before 2026):
// the version then asks for nothing more. Observe the Promise again after.
func (w *PromiseWatch) ObserveRevisions(revisions []Revision, served bool) {
	w.revisions = &revisionsSeen{served: served, list: revisions}
}

// AwaitsRevision reports whether the last Observe found the Promise usable
// but for its revision. Kratix's change to a revision does not change the
// Promise, so a caller that follows the Promise must then read the
// revisions itself (ObserveRevisions) and observe again.
func (w *PromiseWatch) AwaitsRevision() bool { return w.awaitsRevision }

// Observe evaluates one version of the Promise; nil means not found.
func (w *PromiseWatch) Observe(obj *unstructured.Unstructured) Outcome {
	w.awaitsRevision = false
	if obj == nil {
		return Outcome{State: Waiting, Summary: "the Promise does not exist (yet)"}
	}
	cwc, hasCWC := FindCondition(obj, CondConfigureWorkflowCompleted)
	if hasCWC && cwc.IsFalse() && cwc.Reason == ReasonPipelinesInProgress {
		w.runSeen = true
	}
	if hasCWC && cwc.IsFalse() && cwc.Reason == ReasonConfigureWorkflowFailed && w.fresh(cwc) {
		return failedOutcome(obj, cwc)
	}
	configured := hasCWC && cwc.IsTrue() && w.fresh(cwc)
	if w.HasConfigurePipelines && !configured {
		return Outcome{State: Waiting, Summary: promiseProgress(obj)}
	}
	available, ok := FindCondition(obj, CondAvailable)
	if ok && available.IsTrue() || nestedString(obj, "status", "status") == "Available" && !ok {
		if out, waiting := w.requestsPending(obj); waiting {
			return out
		}
		return w.revisionOutcome()
	}
	return Outcome{State: Waiting, Summary: promiseProgress(obj)}
}

// RequestsGenerationOf is what PromiseWatch.RequestsGeneration should be
// after a write of promise: its generation when the write was an update
// that changed the spec of a Promise with an API, 0 otherwise. Kratix
// (promise_controller.go, reconcileResources) then restarts the requests'
// controller with the new spec and marks every request for a re-run, and
// only then sets status.observedGeneration; Available stays True from
// before all along. A request written or re-run before that may run the
// previous spec's pipelines. Kratix never sets observedGeneration for a
// first generation, nor for a Promise without an API.
func RequestsGenerationOf(promise *unstructured.Unstructured, specChangedByUpdate bool) int64 {
	if _, hasAPI, _ := unstructured.NestedMap(promise.Object, "spec", "api"); !hasAPI || !specChangedByUpdate || promise.GetGeneration() < 2 {
		return 0
	}
	return promise.GetGeneration()
}

// requestsPending reports an Available Promise whose requests Kratix has
// not yet taken up at RequestsGeneration. A paused Promise is left alone:
// Kratix will not take them up until it is resumed.
func (w *PromiseWatch) requestsPending(obj *unstructured.Unstructured) (Outcome, bool) {
	if w.RequestsGeneration == 0 || obj.GetLabels()[LabelPaused] == "true" {
		return Outcome{}, false
	}
	observed, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	if observed >= w.RequestsGeneration {
		return Outcome{}, false
	}
	return Outcome{State: Waiting, Summary: fmt.Sprintf("Available; waiting for Kratix to take up generation %d for the "+
		"Promise's resource requests (status.observedGeneration is %d)", w.RequestsGeneration, observed)}, true
}

// revisionOutcome is the outcome of a Promise that is otherwise usable:
// done unless its version's revision is still to come (see Version).
func (w *PromiseWatch) revisionOutcome() Outcome {
	settled, summary := true, ""
	switch {
	case w.Version == "":
	case w.revisions == nil:
		settled, summary = false, "Available; reading its PromiseRevisions"
	case w.revisions.served:
		settled, summary = RevisionSettled(w.Version, w.revisions.list)
		summary = "Available, " + summary
	}
	if !settled {
		w.awaitsRevision = true
		return Outcome{State: Waiting, Summary: summary}
	}
	return Outcome{State: Done, Summary: "Available"}
}

// fresh reports whether a workflow condition belongs to the applied spec.
func (w *PromiseWatch) fresh(c Condition) bool {
	return !w.SpecChanged || w.runSeen || !c.TransitionedBefore(w.AppliedAt)
}

func promiseProgress(obj *unstructured.Unstructured) string {
	if blocked, ok := blockedSummary(obj); ok {
		return blocked
	}
	if c, ok := FindCondition(obj, CondRequirementsFulfilled); ok && c.IsFalse() {
		return fmt.Sprintf("required Promises are not fulfilled (%s): %s", c.Reason, c.Message)
	}
	for _, p := range Pipelines(obj) {
		if p.Phase == PhaseRunning || p.Phase == PhasePending {
			return fmt.Sprintf("promise configure pipeline %q is %s", p.Name, p.Phase)
		}
	}
	if c, ok := FindCondition(obj, CondAvailable); ok {
		return fmt.Sprintf("Available=%s (%s): %s", c.Status, c.Reason, c.Message)
	}
	if kind := nestedString(obj, "status", "kind"); kind == "" {
		return "waiting for Kratix to install the Promise's API"
	}
	return "waiting for Kratix to report the Promise Available"
}

// DeleteOutcome evaluates an object being deleted (Promise or request):
// done when it is gone, failed when the delete workflow failed, which
// blocks the deletion until someone intervenes (kratix-api.md §3.4, §5.5).
func DeleteOutcome(obj *unstructured.Unstructured) Outcome {
	if obj == nil {
		return Outcome{State: Done, Summary: "deleted"}
	}
	if c, ok := FindCondition(obj, CondDeleteWorkflowCompleted); ok && c.IsFalse() {
		switch c.Reason {
		case ReasonDeleteWorkflowFailed:
			return Outcome{State: Failed, Pipeline: deletePipelineName(obj), Summary: "the delete workflow failed: " + c.Message}
		case ReasonDeleteWorkflowSuspended:
			return Outcome{State: Waiting, Summary: "the delete workflow is suspended: " + c.Message}
		}
	}
	if fins := obj.GetFinalizers(); len(fins) > 0 {
		return Outcome{State: Waiting, Summary: fmt.Sprintf("waiting for Kratix to clear finalizers %v", fins)}
	}
	return Outcome{State: Waiting, Summary: "waiting for the object to disappear"}
}

// deletePipelineName finds the delete pipeline's name from the pipeline
// status Kratix keeps, if it recorded one.
func deletePipelineName(obj *unstructured.Unstructured) string {
	if p, ok := FailedPipeline(obj); ok {
		return p.Name
	}
	return ""
}
