package kratix

import (
	"fmt"
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
	// Delivered also requires WorksSucceeded=True (files written to the
	// state store).
	Delivered bool
	// Rerun is set when the workflow was asked to run again at AppliedAt
	// for an unchanged generation: the completion already on the object is
	// then stale, and only a run seen by this watch, or a completion after
	// AppliedAt, counts.
	Rerun   bool
	runSeen bool
	// failureCleared: this watch saw ConfigureWorkflowCompleted in a state
	// other than failed, so a failure seen afterwards is a new one even if
	// its lastTransitionTime is old (False to False keeps the time).
	failureCleared bool
}

// Observe evaluates one version of the request; nil means not found.
func (w *RequestWatch) Observe(obj *unstructured.Unstructured) Outcome {
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
		return deliveredOutcome(obj)
	}
	return Outcome{State: Done, Summary: "configure workflow completed"}
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
