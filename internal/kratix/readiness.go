package kratix

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ReadyWatch follows an object whose health is one Ready condition
// (Destinations, state stores) after an apply. Feed it every observed
// version of the object, in order.
//
// Ready=True for the applied generation is done. A condition that records
// an older observedGeneration is stale and ignored. A False condition whose
// reason needs someone to act is a failure; the caller decides how long a
// failure must persist before giving up, since Kratix retries.
//
// Kratix records no observedGeneration on Destinations and state stores,
// and writes their status only when the condition changes. After a spec
// change, a condition counts as describing the new spec when Kratix wrote
// it after the apply: its lastTransitionTime is later than the apply, or
// it differs from the condition the apply returned. Any other write (a
// finalizer, another status field) proves nothing. A condition that is
// not confirmed is unconfirmed: Unconfirmed says what it amounts to should
// Kratix never change it (a reconcile that changes nothing writes
// nothing).
type ReadyWatch struct {
	// Generation is metadata.generation as the apply returned it.
	Generation int64
	// AppliedAt is when the API server recorded the apply (its
	// managedFields time); zero when unknown.
	AppliedAt time.Time
	// Before is the Ready condition as the apply returned it.
	Before Readiness
	// SpecChanged is true on create and when the apply changed the spec.
	SpecChanged bool
	// SecretWritten is true when the apply wrote the Secret the object
	// names: Kratix reporting that Secret missing has not seen the write
	// yet (its informer lags on a loaded cluster), so that failure counts
	// as stale (StaleFailure) even when Kratix wrote it after the apply.
	SecretWritten bool
	unconfirmed   *Outcome
	// staleFailure is true when the last observation was a failure that
	// Kratix reported before the apply (see StaleFailure).
	staleFailure bool
	// reconciled is Kratix's verdict on the applied version, from the
	// Event it recorded for that reconcile (see Reconciled); nil without
	// one.
	reconciled *bool
	// notReadySinceVerdict: after a not-ready verdict, this watch saw
	// Ready=False, so a Ready=True seen later was written by a later
	// reconcile (Kratix writes the condition only when it changes).
	notReadySinceVerdict bool
}

// Reconciled records that Kratix reconciled the applied version (or a
// later one) and found the object ready or not, as an Event it recorded
// says. From then on the Ready condition counts once it agrees with that
// verdict: Kratix records the Event just before it writes the condition,
// and writes the condition only when it changes.
func (w *ReadyWatch) Reconciled(ready bool) { w.reconciled = &ready }

// Unconfirmed returns the outcome the last observation amounts to if no
// newer version ever comes, when the last observation was unconfirmed.
func (w *ReadyWatch) Unconfirmed() (Outcome, bool) {
	if w.unconfirmed == nil {
		return Outcome{}, false
	}
	return *w.unconfirmed, true
}

// StaleFailure reports whether the last observation was a failure that
// Kratix reported before the apply and has not rewritten since: it may
// not have looked at what the apply changed yet (a Secret written again,
// a spec fixed), so a caller gives it longer to persist before believing
// it than a failure Kratix reported after the apply.
func (w *ReadyWatch) StaleFailure() bool { return w.staleFailure }

func (w *ReadyWatch) observe(obj *unstructured.Unstructured, r Readiness, what string) Outcome {
	w.unconfirmed = nil
	if g := obj.GetGeneration(); g > w.Generation {
		w.Generation = g
	}
	out := observeReadiness(r, w.Generation, what)
	w.staleFailure = out.State == Failed && (!w.writtenSinceApply(r) || w.SecretWritten && secretMissing(r))
	if w.reconciled != nil {
		if r.Reported && r.Ready == *w.reconciled {
			w.notReadySinceVerdict = !r.Ready
			return out
		}
		if r.Reported && r.Ready && w.notReadySinceVerdict {
			// Kratix reconciled again after finding the applied version
			// not ready (a push that lost a race, a store that became
			// ready since) and now finds it ready.
			return out
		}
		return Outcome{State: Waiting, Summary: fmt.Sprintf("Kratix reconciled the change (ready: %t) and is writing its Ready condition; before it, %s", *w.reconciled, out.Summary)}
	}
	if out.State == Waiting || !w.SpecChanged || r.ObservedGeneration > 0 || w.writtenSinceApply(r) {
		return out
	}
	w.unconfirmed = &out
	return Outcome{State: Waiting, Summary: fmt.Sprintf("waiting for Kratix to reconcile the change; before it, %s", out.Summary)}
}

// writtenSinceApply reports whether Kratix provably wrote the condition
// after the apply. Transition times have one-second precision, so one in
// the apply's own second proves nothing.
func (w *ReadyWatch) writtenSinceApply(r Readiness) bool {
	if !w.AppliedAt.IsZero() && r.TransitionTime.After(w.AppliedAt) {
		return true
	}
	b := w.Before
	return r.Ready != b.Ready || r.Reason != b.Reason || r.Message != b.Message || !r.TransitionTime.Equal(b.TransitionTime)
}

func observeReadiness(r Readiness, generation int64, what string) Outcome {
	switch {
	case !r.Reported:
		return Outcome{State: Waiting, Summary: "waiting for Kratix to report " + what + " Ready"}
	case r.ObservedGeneration > 0 && r.ObservedGeneration < generation:
		return Outcome{State: Waiting, Summary: fmt.Sprintf("%s (for generation %d; waiting for generation %d)", r.Summary(), r.ObservedGeneration, generation)}
	case r.Ready:
		return Outcome{State: Done, Summary: r.Summary()}
	case r.Failing:
		return Outcome{State: Failed, Summary: r.Summary()}
	case r.WriteRace:
		return Outcome{State: Waiting, Summary: r.Summary() + " (a push that lost a race with another write; waiting for Kratix to try again)"}
	}
	return Outcome{State: Waiting, Summary: r.Summary()}
}
