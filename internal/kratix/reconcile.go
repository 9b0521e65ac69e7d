package kratix

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// Observer evaluates one observed version of an object; nil means not
// found.
type Observer interface {
	Observe(obj *unstructured.Unstructured) Outcome
}

// RunWatch follows a configure workflow run that someone asked for by
// hand, on a Promise or a resource request: a re-run (the label
// kratix.io/manual-reconciliation=true) or a resume (the label
// kratix.io/workflow-suspended removed). Feed it every observed version of
// the object, in order, from after the label was written.
type RunWatch struct {
	inner Observer
	since time.Time
	// resume: the run continues a suspended workflow instead of starting
	// over.
	resume bool
	// scheduled: Kratix has taken up the request (a re-run's label is gone,
	// or a resumed object was seen without the suspension label).
	scheduled bool
	// runSeen: ConfigureWorkflowCompleted=False with PipelinesInProgress
	// was seen after Kratix took up the request: the run started.
	runSeen bool
	// pipelineSeen: a pipeline of this run was seen Pending or Running,
	// so a pipeline Failed afterwards failed in this run, even when the
	// ConfigureWorkflowCompleted condition still shows the previous run's
	// failure (Kratix leaves a False condition as it is when a new run
	// starts, lastTransitionTime included).
	pipelineSeen bool
}

// NewPromiseRerun follows a Promise's promise configure workflow after it
// was labelled for a re-run (resume false) or resumed (resume true) at
// since.
func NewPromiseRerun(since time.Time, resume bool) *RunWatch {
	return &RunWatch{since: since, resume: resume, inner: &PromiseWatch{AppliedAt: since, SpecChanged: true, HasConfigurePipelines: true}}
}

// NewRequestRerun follows a resource request's configure workflow after it
// was labelled for a re-run or resumed at since.
func NewRequestRerun(generation int64, since time.Time, resume bool) *RunWatch {
	return &RunWatch{since: since, resume: resume, inner: &RequestWatch{Generation: generation, AppliedAt: since, Rerun: true}}
}

// Resuming reports whether the run continues a suspended workflow rather
// than starting it over.
func (w *RunWatch) Resuming() bool { return w.resume }

// Observe evaluates one version of the object.
func (w *RunWatch) Observe(obj *unstructured.Unstructured) Outcome {
	if obj == nil {
		return Outcome{State: Failed, Summary: "it was deleted while the workflow ran"}
	}
	labels := obj.GetLabels()
	if w.resume {
		return w.observeResume(obj, labels[LabelWorkflowSuspended] == "true")
	}
	if labels[LabelManualReconciliation] == "true" {
		return Outcome{State: Waiting, Summary: "waiting for Kratix to start the run (it removes the label " +
			LabelManualReconciliation + " once it has)"}
	}
	w.scheduled = true
	return w.observeRun(obj)
}

func (w *RunWatch) observeResume(obj *unstructured.Unstructured, suspended bool) Outcome {
	if !suspended {
		w.scheduled = true
		return w.observeRun(obj)
	}
	if !w.scheduled {
		return Outcome{State: Waiting, Summary: "waiting for the label " + LabelWorkflowSuspended + " to go"}
	}
	// The label is back: the workflow suspended itself again. Kratix
	// labels the object before it records which pipeline did and why.
	ps := Pipelines(obj)
	for _, p := range ps {
		if p.Phase == PhaseSuspended && w.pipelineSeen {
			return suspendedOutcome(obj, "")
		}
		w.notePipeline(p)
	}
	if len(ps) == 0 {
		return suspendedOutcome(obj, "the workflow suspended itself again")
	}
	return Outcome{State: Waiting, Summary: "the workflow is suspending itself again"}
}

// endedAfterSince: ConfigureWorkflowCompleted changed in a later second
// than the one in which the run was asked for (Kubernetes keeps whole
// seconds, so a change in that same second may be the previous run's).
func (w *RunWatch) endedAfterSince(obj *unstructured.Unstructured) bool {
	c, ok := FindCondition(obj, CondConfigureWorkflowCompleted)
	return ok && !c.TransitionedBefore(w.since.Add(time.Second))
}

func (w *RunWatch) notePipeline(p PipelineStatus) {
	if p.Phase == PhasePending || p.Phase == PhaseRunning {
		w.pipelineSeen = true
	}
}

// observeRun applies the usual completion rules, plus the pipeline
// phases, which tell a failure or a suspension of this run from an old
// one.
func (w *RunWatch) observeRun(obj *unstructured.Unstructured) Outcome {
	if c, ok := FindCondition(obj, CondConfigureWorkflowCompleted); ok && c.IsFalse() && c.Reason == ReasonPipelinesInProgress {
		w.runSeen = true
	}
	out := w.inner.Observe(obj)
	if out.State != Waiting && !w.runSeen && !w.pipelineSeen && !w.endedAfterSince(obj) {
		// Kratix removes the label just before it resets the status: what
		// the status says is still the previous run's.
		out = Outcome{State: Waiting, Summary: "waiting for Kratix to start the run"}
	}
	switch out.State {
	case Done:
		return Outcome{State: Done, Summary: "configure workflow completed"}
	case Failed:
		return out
	}
	for _, p := range Pipelines(obj) {
		w.notePipeline(p)
		switch {
		case p.Phase == PhaseFailed && w.pipelineSeen:
			return Outcome{State: Failed, Pipeline: p.Name, Summary: fmt.Sprintf("configure pipeline %q failed: %s", p.Name, p.Message)}
		case p.Phase == PhaseSuspended && w.pipelineSeen:
			return suspendedOutcome(obj, "the workflow suspended itself")
		}
	}
	return out
}

// suspendedOutcome names the pipeline that suspended the workflow and
// carries its message.
func suspendedOutcome(obj *unstructured.Unstructured, fallback string) Outcome {
	out := Outcome{State: Failed, Suspended: true, Summary: fallback}
	for _, p := range Pipelines(obj) {
		if p.Phase == PhaseSuspended {
			out.Pipeline, out.Summary = p.Name, fmt.Sprintf("pipeline %q suspended the workflow: %s", p.Name, p.Message)
		}
	}
	return out
}

// RerunPatch is the merge patch that asks Kratix to run the object's
// workflow again (kratix-api.md §5.5). The uid pins it to the object the
// caller read, so it never touches a namesake created meanwhile.
func RerunPatch(uid string) []byte {
	return []byte(fmt.Sprintf(`{"metadata":{"uid":%q,"labels":{%q:"true"}}}`, uid, LabelManualReconciliation))
}

// ResumePatch is the merge patch that resumes a workflow that suspended
// itself (workflow-control): it removes kratix.io/workflow-suspended.
func ResumePatch(uid string) []byte {
	return []byte(fmt.Sprintf(`{"metadata":{"uid":%q,"labels":{%q:null}}}`, uid, LabelWorkflowSuspended))
}

// FollowRun watches one object until observer reports Done or Failed, or
// ctx ends; progress sees every outcome. It never polls.
func FollowRun(ctx context.Context, c *kube.Client, gvk schema.GroupVersionKind, namespace, name string,
	observer Observer, progress func(Outcome)) (Outcome, error) {
	var last Outcome
	_, err := c.WaitFor(ctx, gvk, namespace, name, func(obj *unstructured.Unstructured) (bool, error) {
		last = observer.Observe(obj)
		progress(last)
		return last.State != Waiting, nil
	})
	return last, err
}
