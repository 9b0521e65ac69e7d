package kratix

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// State is where a workflow stands, as far as a waiting caller cares.
type State int

// The states a watcher reports.
const (
	Waiting State = iota
	Done
	Failed
)

// Outcome is one observation: the state, and words for a person.
type Outcome struct {
	State State
	// Summary says what the object is doing now; it ends up in timeout
	// and failure diagnostics.
	Summary string
	// Pipeline names the failed pipeline, when one failed.
	Pipeline string
	// Suspended is set, with State Failed, when a pipeline suspended the
	// workflow (workflow-control) in the run being followed.
	Suspended bool
	// Delivering is set while the workflow is done and the wait is for its
	// Works to be delivered: the time to check that Kratix can schedule them.
	Delivering bool
}

// Labels Kratix reads from users.
const (
	LabelManualReconciliation = "kratix.io/manual-reconciliation"
	// LabelWorkflowRunFromStart is how Kratix 2026 marks the requests of
	// an updated Promise for a re-run (it removes it once it has started
	// the run).
	LabelWorkflowRunFromStart = "kratix.io/workflow-run-from-start"
	LabelWorkflowSuspended    = "kratix.io/workflow-suspended"
	LabelPaused               = "kratix.io/paused"
)

// RequestWatch follows one resource request after an apply and decides when
// the configure workflow of the applied generation has finished. It is
// stateful: feed it every observed version of the object, in order.
//
// The rule (kratix-api.md §5.4): done when status.observedGeneration has
// reached the applied generation (Kratix sets it only after that
// generation's workflow succeeded) and ConfigureWorkflowCompleted, where
// present, is True. A failure condition left over from the previous
// generation must not fail an update, so a failure counts only on create,
// after this watch saw the new run start, or when it happened after the apply.
type RequestWatch struct {
	Generation int64
	AppliedAt  time.Time
	Created    bool
	// Delivered also requires the output written to the state stores:
	// WorksSucceeded=True, then every WorkPlacement of the request's Works
	// WriteSucceeded=True (see PlacementsWritten): the watch then also
	// needs those WorkPlacements (ObservePlacements).
	Delivered bool
	// Rerun is set when the workflow was asked to run again at AppliedAt
	// for an unchanged generation: the completion already on the object is
	// then stale, and only a run seen by this watch, or a completion after
	// AppliedAt, counts.
	Rerun   bool
	runSeen bool
	// placements is what ObservePlacements was last told; nil before.
	placements *placementsSeen
	// awaitsWrites: the last Observe found the request delivered but for
	// the writes of its WorkPlacements.
	awaitsWrites bool
	// failureCleared: this watch saw ConfigureWorkflowCompleted in a state
	// other than failed, so a failure seen afterwards is a new one even if
	// its lastTransitionTime is old (False to False keeps the time).
	failureCleared bool
}

type placementsSeen struct {
	readable bool
	list     []unstructured.Unstructured
}

// ObservePlacements gives the watch the WorkPlacements of the request's
// Works; readable is false when they cannot be listed (the credentials may
// not), and WorksSucceeded alone then decides. Observe the request again
// after.
func (w *RequestWatch) ObservePlacements(placements []unstructured.Unstructured, readable bool) {
	w.placements = &placementsSeen{readable: readable, list: placements}
}

// AwaitsWrites reports whether the last Observe found the request
// delivered but for the writes of its WorkPlacements. A WorkPlacement's
// status changes nothing on the request, so a caller that follows the
// request must then read them itself (ObservePlacements) and observe again.
func (w *RequestWatch) AwaitsWrites() bool { return w.awaitsWrites }

// Observe evaluates one version of the request; nil means not found.
func (w *RequestWatch) Observe(obj *unstructured.Unstructured) Outcome {
	w.awaitsWrites = false
	if obj == nil {
		return Outcome{State: Waiting, Summary: "the request does not exist (yet)"}
	}
	if g := obj.GetGeneration(); g > w.Generation {
		w.Generation = g
	}
	w.noteRun(obj)
	if out, failed := w.failure(obj); failed {
		return out
	}
	if blocked, ok := blockedSummary(obj); ok {
		return Outcome{State: Waiting, Summary: blocked}
	}
	if label, ok := rerunLabel(obj); w.Rerun && ok {
		// Kratix starts the re-run when it removes the label, so nothing
		// shown while the label is on is the re-run's.
		return Outcome{State: Waiting, Summary: "waiting for Kratix to start the re-run (it removes the label " + label + " once it has)"}
	}
	if !configured(obj, w.Generation) || w.Rerun && !w.completedAfterApply(obj) {
		return Outcome{State: Waiting, Summary: progressSummary(obj)}
	}
	if w.Delivered {
		return w.deliveredOutcome(obj)
	}
	return Outcome{State: Done, Summary: "configure workflow completed"}
}

// deliveredOutcome is deliveredOutcome, and then, once Kratix reports the
// Works scheduled, their writes.
func (w *RequestWatch) deliveredOutcome(obj *unstructured.Unstructured) Outcome {
	out := deliveredOutcome(obj)
	if c, ok := FindCondition(obj, CondWorksSucceeded); out.State != Done || !ok || !c.IsTrue() {
		return out
	}
	switch {
	case w.placements == nil:
		out = Outcome{State: Waiting, Delivering: true, Summary: "configured; WorksSucceeded=True; reading its WorkPlacements"}
	case !w.placements.readable:
		return out
	default:
		written, pending := PlacementsWritten(w.placements.list)
		if written {
			return out
		}
		out = Outcome{State: Waiting, Delivering: true, Summary: "configured; WorksSucceeded=True, but Kratix has not written " +
			pending + " to its state store yet"}
	}
	w.awaitsWrites = true
	return out
}

// PlacementsWritten says whether Kratix has written every WorkPlacement
// given (those of a request's Works) to its Destination's state store, and
// if not, names one that is pending. A Work's Ready, and with it the
// request's WorksSucceeded (getWorksStatus counts a Work "Ready" by that
// condition's message), only says its WorkPlacements were created: the
// scheduler sets Ready=True, reason AllWorkplacementsScheduled, once it has
// created them (updateWorkStatus, internal/controller/scheduler.go:88-147
// in Kratix 2026, :87-147 in 2025-09). The WorkPlacement controller writes
// to the state store after that and only then sets the WorkPlacement's
// WriteSucceeded=True (internal/controller/workplacement_controller.go:246
// in 2026). In Kratix 2026 that write first takes the state store's shared,
// cached repository and resets it (workplacement_controller.go:180-198):
// on the local test platform it came 8 s after WorksSucceeded=True, where
// Kratix 2025-09 had written by then.
//
// WorkPlacements being deleted do not count. WriteSucceeded is never reset
// while a WorkPlacement is rewritten, so after an update an earlier write
// also counts: this catches the first write of a WorkPlacement.
func PlacementsWritten(placements []unstructured.Unstructured) (bool, string) {
	var pending []string
	for i := range placements {
		wp := &placements[i]
		if wp.GetDeletionTimestamp() != nil {
			continue
		}
		c, ok := FindCondition(wp, CondWriteSucceeded)
		switch {
		case ok && c.IsTrue():
			continue
		case ok && c.IsFalse():
			pending = append(pending, fmt.Sprintf("WorkPlacement %s (WriteSucceeded=False: %s)", wp.GetName(), c.Message))
		default:
			pending = append(pending, "WorkPlacement "+wp.GetName())
		}
	}
	sort.Strings(pending)
	switch len(pending) {
	case 0:
		return true, ""
	case 1:
		return false, pending[0]
	default:
		return false, fmt.Sprintf("%s and %d more", pending[0], len(pending)-1)
	}
}

// rerunLabel returns the label that asks Kratix to re-run the object's
// workflow, when it is set.
func rerunLabel(obj *unstructured.Unstructured) (string, bool) {
	for _, l := range []string{LabelManualReconciliation, LabelWorkflowRunFromStart} {
		if obj.GetLabels()[l] == "true" {
			return l, true
		}
	}
	return "", false
}

// Baseline records the request as it was before the write (or the re-run
// label) this watch follows. When its configure workflow had not failed
// then, any failure observed later is this run's, even one stamped with
// the second of the write: a fast pipeline fails within it, and without
// the baseline that failure would pass for the previous run's.
func (w *RequestWatch) Baseline(before *unstructured.Unstructured) {
	if _, failed := configureFailure(before); !failed {
		w.failureCleared = true
	}
}

func (w *RequestWatch) noteRun(obj *unstructured.Unstructured) {
	c, ok := FindCondition(obj, CondConfigureWorkflowCompleted)
	if ok && c.IsFalse() && c.Reason == ReasonPipelinesInProgress {
		w.runSeen = true
	}
	if ok && (!c.IsFalse() || c.Reason != ReasonConfigureWorkflowFailed) {
		w.failureCleared = true
	}
	for _, p := range Pipelines(obj) {
		if p.Phase == PhaseRunning {
			w.runSeen = true
		}
	}
}

// configureFailure returns ConfigureWorkflowCompleted when it reports a
// failed workflow.
func configureFailure(obj *unstructured.Unstructured) (Condition, bool) {
	c, ok := FindCondition(obj, CondConfigureWorkflowCompleted)
	return c, ok && c.IsFalse() && c.Reason == ReasonConfigureWorkflowFailed
}

func (w *RequestWatch) failure(obj *unstructured.Unstructured) (Outcome, bool) {
	c, failed := configureFailure(obj)
	if !failed {
		return Outcome{}, false
	}
	// A pipeline seen Running does not clear an old failure: the condition
	// may still show it while the new run starts.
	cutoff := w.AppliedAt
	if w.Rerun {
		// The re-run was asked for at AppliedAt and cannot have failed in
		// that same second unless this watch saw it start; a failure stamped
		// with that second is the previous run's.
		cutoff = cutoff.Add(time.Second)
	}
	if !w.Created && !w.failureCleared && c.TransitionedBefore(cutoff) {
		return Outcome{}, false // the previous run's failure
	}
	return failedOutcome(obj, c), true
}

func (w *RequestWatch) completedAfterApply(obj *unstructured.Unstructured) bool {
	c, ok := FindCondition(obj, CondConfigureWorkflowCompleted)
	return w.runSeen || ok && !c.TransitionedBefore(w.AppliedAt)
}

// configured applies the "done" rule for one generation.
func configured(obj *unstructured.Unstructured, generation int64) bool {
	observed, found, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	if !found || observed < generation {
		return false
	}
	c, ok := FindCondition(obj, CondConfigureWorkflowCompleted)
	return !ok || c.IsTrue()
}

func deliveredOutcome(obj *unstructured.Unstructured) Outcome {
	c, ok := FindCondition(obj, CondWorksSucceeded)
	if ok && c.IsTrue() {
		return Outcome{State: Done, Summary: "configured and delivered to its Destinations"}
	}
	if _, hasWorkflow := FindCondition(obj, CondConfigureWorkflowCompleted); !ok && !hasWorkflow {
		// A Promise without a resource configure pipeline writes nothing
		// for its requests, and Kratix sets no condition on them
		// (kratix-api.md §5): nothing is left to deliver.
		return Outcome{State: Done, Summary: "configured; its Promise has no resource configure pipeline, so there is nothing to deliver"}
	}
	if !ok {
		return Outcome{State: Waiting, Delivering: true, Summary: "configured; waiting for WorksSucceeded (Works are not scheduled yet)"}
	}
	return Outcome{State: Waiting, Delivering: true, Summary: fmt.Sprintf("configured; WorksSucceeded=%s (%s): %s", c.Status, c.Reason, c.Message)}
}

// failedOutcome names the failed pipeline and carries its message.
func failedOutcome(obj *unstructured.Unstructured, c Condition) Outcome {
	pipeline := strings.TrimSpace(strings.TrimPrefix(c.Message, "A Configure Pipeline has failed:"))
	message := c.Message
	if p, ok := FailedPipeline(obj); ok {
		pipeline = p.Name
		if p.Message != "" {
			message = p.Message
		}
	}
	return Outcome{
		State:    Failed,
		Pipeline: pipeline,
		Summary:  fmt.Sprintf("configure pipeline %q failed: %s", pipeline, message),
	}
}

// blockedSummary explains states in which Kratix will not progress on its own.
func blockedSummary(obj *unstructured.Unstructured) (string, bool) {
	labels := obj.GetLabels()
	if labels[LabelPaused] == "true" {
		return "reconciliation is paused (label kratix.io/paused=true)", true
	}
	if c, ok := FindCondition(obj, CondPromiseAvailable); ok && c.IsFalse() {
		return "its Promise is not available: " + c.Message, true
	}
	for _, p := range Pipelines(obj) {
		if p.Phase == PhaseSuspended {
			return fmt.Sprintf("pipeline %q is suspended: %s", p.Name, p.Message), true
		}
	}
	if labels[LabelWorkflowSuspended] == "true" {
		return "the workflow suspended itself (label kratix.io/workflow-suspended=true)", true
	}
	return "", false
}

// progressSummary describes a workflow that is still running.
func progressSummary(obj *unstructured.Unstructured) string {
	for _, p := range Pipelines(obj) {
		if p.Phase == PhaseRunning || p.Phase == PhasePending {
			return fmt.Sprintf("pipeline %q is %s", p.Name, strings.ToLower(p.Phase))
		}
	}
	if c, ok := FindCondition(obj, CondConfigureWorkflowCompleted); ok {
		return fmt.Sprintf("ConfigureWorkflowCompleted=%s (%s)", c.Status, c.Reason)
	}
	return "waiting for Kratix to start the configure workflow"
}
