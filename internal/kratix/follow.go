package kratix

import (
	"context"
	"errors"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Ending is how following an object (a request's or a Promise's workflow,
// a deletion, a re-run, a Destination's readiness) came to an end.
type Ending int

// The endings of a follow. The zero value is not one: a result is always
// decided by Decide.
const (
	// EndDone: the object settled as asked (the workflow completed, the
	// object is gone, the Destination is ready).
	EndDone Ending = iota + 1
	// EndFailed: a pipeline failed, or the object reports a failure that
	// needs someone to act.
	EndFailed
	// EndSuspended: a pipeline suspended the workflow (workflow-control);
	// it waits for someone to resume it.
	EndSuspended
	// EndStuck: Kratix never picked the written object up within the
	// bound the follower stated, and its controller does not answer.
	EndStuck
	// EndUndeliverable: the workflow finished, but Kratix cannot schedule
	// its output to any Destination.
	EndUndeliverable
	// EndTimedOut: the follower's deadline passed first.
	EndTimedOut
	// EndInterrupted: the follower's context was canceled (Terraform was
	// interrupted).
	EndInterrupted
	// EndError: the follow itself failed (the object could not be watched
	// or listed).
	EndError
)

var endingNames = map[Ending]string{
	EndDone: "done", EndFailed: "failed", EndSuspended: "suspended", EndStuck: "stuck", EndUndeliverable: "undeliverable",
	EndTimedOut: "timed out", EndInterrupted: "interrupted", EndError: "error",
}

func (e Ending) String() string {
	if s, ok := endingNames[e]; ok {
		return s
	}
	return "undecided"
}

// FollowResult is what a follower saw and how it ended. A follower fills
// in what it observed (Last, Object, Timeline, Err and the guards'
// findings) and Decide sets Ending; the caller turns the result into
// words for a person.
type FollowResult struct {
	Ending Ending
	// Last is the last observation: its Summary says where the object
	// stood when the follow ended.
	Last Outcome
	// Object is the last version seen; nil when none was.
	Object *unstructured.Unstructured
	// Timeline is what the follow saw, each change once; nil when the
	// follower keeps none.
	Timeline *Timeline
	// FailedRun says which pipeline failed and why, with EndFailed.
	FailedRun *FailedRun
	// Err is the error the wait returned: the context's with EndTimedOut
	// and EndInterrupted, the follow's own with EndError. With EndStuck it
	// says why Kratix's controller was found down.
	Err error
	// NotPickedUp is set when a guard found that Kratix had not touched
	// the written object within its bound and its controller was down.
	NotPickedUp bool
	// Undeliverable says why Kratix cannot schedule the output, when a
	// guard found it cannot.
	Undeliverable string
	// Requests is the last listing's verdict, for a follow of many
	// requests (a re-run of a Promise's requests).
	Requests *RerunProgress
}

// FailedRun is the failed run of a workflow: the pipeline, and the failed
// Job's container and message when its Job could be read.
type FailedRun struct {
	Pipeline string
	// Detail describes the failed Job (the container's exit code and
	// termination message, and how to read its logs); "" when no Job
	// could be read.
	Detail string
}

// Decide says how a follow ended, from what it saw last, the error its
// wait returned (r.Err), its guards' findings, and ctxErr, the follower's
// own ctx.Err(): a wait may end on the deadline while returning an error
// of its own (a failed list, say), and that is still a timeout. It is the
// one place that orders the endings:
//   - a guard's finding first: Kratix never reacting, or the output having
//     nowhere to go, explains a wait that saw nothing else;
//   - then what the object said (done, suspended, failed), even when the
//     deadline passed just after: a failure is more useful than a timeout;
//   - then the context (timed out, interrupted), then any other error.
func Decide(r FollowResult, ctxErr error) Ending {
	switch {
	case r.NotPickedUp && r.Last.State == Waiting:
		return EndStuck
	case r.Undeliverable != "":
		return EndUndeliverable
	case r.Err == nil && r.Last.State == Done:
		return EndDone
	case r.Last.Suspended:
		return EndSuspended
	case r.Last.State == Failed:
		return EndFailed
	case errors.Is(r.Err, context.DeadlineExceeded) || errors.Is(ctxErr, context.DeadlineExceeded):
		return EndTimedOut
	case errors.Is(r.Err, context.Canceled) || errors.Is(ctxErr, context.Canceled):
		return EndInterrupted
	default:
		return EndError
	}
}

// Decided returns r with its Ending set by Decide.
func (r FollowResult) Decided(ctxErr error) FollowResult {
	r.Ending = Decide(r, ctxErr)
	return r
}

// RerunResult is the result of following the re-run of many requests
// (FollowRequestsRerun): done when none is left to wait for, failed when
// some of them failed.
func RerunResult(p RerunProgress, err, ctxErr error) FollowResult {
	last := Outcome{State: Waiting}
	if err == nil && p.Finished() {
		last.State = Done
		if len(p.Failed) > 0 {
			last.State = Failed
		}
	}
	return FollowResult{Last: last, Err: err, Requests: &p}.Decided(ctxErr)
}
