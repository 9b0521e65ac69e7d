package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// readyFailureGrace is how long a Ready=False reason that needs someone to
// act (StateStoreNotFound, SecretNotFound, ...) must persist before a wait
// gives up. Kratix retries, and a store created moments earlier may still be
// on its way, so one observation is not enough; a failure that outlives
// this is reported at once instead of at the timeout.
var readyFailureGrace = 5 * time.Second

// staleFailureGrace replaces readyFailureGrace for a failure Kratix
// reported before the apply (kratix.ReadyWatch.StaleFailure): Kratix has
// to notice the apply's change first (a Secret written again reaches the
// store's controller through its informer), which a loaded machine has
// been seen to take longer than readyFailureGrace for.
var staleFailureGrace = 30 * time.Second

// readySettle is how long a wait gives Kratix to touch an object after a
// spec change when its Ready condition cannot tell which spec it describes
// (no observedGeneration). A reconcile that changes nothing writes
// nothing, so silence for this long means the condition stands. It must
// outlast Kratix's reconcile of the change, which on a loaded machine has
// taken more than 2 s.
var readySettle = 10 * time.Second

var (
	errFailurePersisted = errors.New("a failure reason persisted")
	errSettled          = errors.New("the object settled")
	errReconcileVerdict = errors.New("kratix recorded its reconcile of the change")
)

// readinessWatch is kratix.DestinationWatch or kratix.StateStoreWatch.
type readinessWatch interface {
	Observe(*unstructured.Unstructured) kratix.Outcome
	Unconfirmed() (kratix.Outcome, bool)
	Reconciled(ready bool)
	StaleFailure() bool
}

// waitReady watches a cluster-scoped object until the watch reports Done,
// or Failed for longer than readyFailureGrace, or an unconfirmed outcome
// stands for readySettle, or ctx ends. With reconciled (Kratix's verdict
// on the applied version, from its Event), an unconfirmed outcome waits for
// that verdict instead of settling; a reconciled closed without a verdict
// means none will come, and the wait settles as without it.
func waitReady(ctx context.Context, client *kube.Client, gvk schema.GroupVersionKind, name string, w readinessWatch, reconciled <-chan bool) kratix.FollowResult {
	for {
		res, again := waitReadyOnce(ctx, client, gvk, name, w, &reconciled)
		if !again {
			return res.Decided(ctx.Err())
		}
	}
}

// waitReadyOnce is one watch; again is true when a timer fired just as a
// newer observation changed the picture, or the verdict of reconciled
// came (*reconciled is then nil), and the wait must go on.
func waitReadyOnce(ctx context.Context, client *kube.Client, gvk schema.GroupVersionKind, name string, w readinessWatch, reconciled *<-chan bool) (res kratix.FollowResult, again bool) {
	waitCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	failing := newStopTimer(readyFailureGrace, func() { stop(errFailurePersisted) })
	failingStale := newStopTimer(staleFailureGrace, func() { stop(errFailurePersisted) })
	settling := newStopTimer(readySettle, func() { stop(errSettled) })
	settlingOnFailure := newStopTimer(staleFailureGrace, func() { stop(errSettled) })
	timers := stopTimers{failing, failingStale, settling, settlingOnFailure}
	defer timers.only(nil)
	verdict := awaitVerdict(waitCtx, *reconciled, stop)
	_, err := client.WaitFor(waitCtx, gvk, "", name, func(obj *unstructured.Unstructured) (bool, error) {
		res.Last, res.Object = w.Observe(obj), obj
		unconfirmedOutcome, unconfirmed := w.Unconfirmed()
		switch {
		case res.Last.State == kratix.Done:
			return true, nil
		case res.Last.State == kratix.Failed && w.StaleFailure():
			timers.only(failingStale)
		case res.Last.State == kratix.Failed:
			timers.only(failing)
		case unconfirmed && *reconciled == nil && unconfirmedOutcome.State == kratix.Failed:
			// A failure from before the apply that Kratix has not
			// rewritten: as a stale failure, give Kratix time to look.
			timers.only(settlingOnFailure)
		case unconfirmed && *reconciled == nil:
			timers.only(settling)
		default:
			timers.only(nil)
		}
		return false, nil
	})
	cause := context.Cause(waitCtx)
	switch {
	case err == nil && res.Last.State == kratix.Done:
		return res, false
	case ctx.Err() != nil && res.Last.State == kratix.Failed:
		return res, false // report the failure rather than the timeout
	case ctx.Err() != nil:
		res.Err = err // timed out or interrupted: Decide tells which
		return res, false
	case errors.Is(cause, errFailurePersisted) && res.Last.State == kratix.Failed:
		return res, false
	case errors.Is(cause, errReconcileVerdict):
		*reconciled = nil
		if ready, ok := verdict(); ok {
			w.Reconciled(ready)
		}
		return res, true
	case errors.Is(cause, errSettled):
		if out, ok := w.Unconfirmed(); ok {
			res.Last = out
			return res, false
		}
		return res, true
	case errors.Is(cause, errFailurePersisted):
		return res, true
	case err == nil:
		err = errors.New("the wait ended without a result")
	}
	res.Err = err
	return res, false
}

// awaitVerdict receives Kratix's verdict from reconciled, if not nil, and
// stops the wait with errReconcileVerdict when it comes (or when reconciled
// is closed without one); the returned func gives it to the waiter.
func awaitVerdict(ctx context.Context, reconciled <-chan bool, stop context.CancelCauseFunc) func() (ready, ok bool) {
	var mu sync.Mutex
	var ready, got bool
	if reconciled != nil {
		go func() {
			select {
			case r, ok := <-reconciled:
				mu.Lock()
				ready, got = r, ok
				mu.Unlock()
				stop(errReconcileVerdict)
			case <-ctx.Done():
			}
		}()
	}
	return func() (bool, bool) {
		mu.Lock()
		defer mu.Unlock()
		return ready, got
	}
}

// stopTimer runs fn once, d after start, unless cancelled first. It is
// used from one goroutine (the wait's condition).
type stopTimer struct {
	d     time.Duration
	fn    func()
	timer *time.Timer
}

func newStopTimer(d time.Duration, fn func()) *stopTimer { return &stopTimer{d: d, fn: fn} }

// stopTimers are the timers of one wait, of which at most one runs.
type stopTimers []*stopTimer

// only starts t, unless it is nil or already running, and cancels the
// others.
func (ts stopTimers) only(t *stopTimer) {
	for _, other := range ts {
		if other != t {
			other.cancel()
		}
	}
	if t != nil {
		t.start()
	}
}

func (t *stopTimer) start() {
	if t.timer == nil {
		t.timer = time.AfterFunc(t.d, t.fn)
	}
}

func (t *stopTimer) cancel() {
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
}

// adviceParagraph is what advice says about obj (last seen by a wait that
// timed out) followed by a blank line, or "" when the wait saw no object or
// there is nothing specific to say: a push that lost a race for its whole
// timeout, for example, is worth explaining there too.
func adviceParagraph(obj *unstructured.Unstructured, advice func(*unstructured.Unstructured) string) string {
	if obj == nil {
		return ""
	}
	if a := advice(obj); a != "" {
		return a + "\n\n"
	}
	return ""
}

// deleteClusterObject deletes a cluster-scoped Kratix object and waits until
// it is gone, which includes Kratix clearing its finalizers.
func deleteClusterObject(ctx context.Context, data *providerData, gvk schema.GroupVersionKind, name string, diags *diag.Diagnostics) {
	if err := data.Client.Delete(ctx, gvk, "", name, deleteOptions()); err != nil {
		diags.AddError(fmt.Sprintf("Cannot delete %s %s", gvk.Kind, name), err.Error())
		return
	}
	var res kratix.FollowResult
	_, res.Err = data.Client.WaitFor(ctx, gvk, "", name, func(obj *unstructured.Unstructured) (bool, error) {
		res.Last = kratix.DeleteOutcome(obj)
		if res.Last.State == kratix.Failed {
			// Such an object has no delete workflow of its own: only its
			// disappearance ends the wait.
			res.Last.State = kratix.Waiting
		}
		return res.Last.State == kratix.Done, nil
	})
	timedOut := func(res kratix.FollowResult) (string, string) {
		return fmt.Sprintf("Timed out deleting %s %s", gvk.Kind, name), fmt.Sprintf("Last seen: %s. The delete was requested; "+
			"Kratix may still finish it (a Destination with cleanup = \"all\" first removes its files from the state store). "+
			"Raise timeouts.delete or check: kubectl describe %s %s\n\n%s", res.Last.Summary, strings.ToLower(gvk.Kind), name, followErr(res))
	}
	reportFollow(res.Decided(ctx.Err()), followReport{what: gvk.Kind + " " + name, timedOut: timedOut, errored: timedOut}, diags)
}
