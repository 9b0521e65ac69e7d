package kratix

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestReadyWatchUnconfirmed(t *testing.T) {
	// The Ready=True that was there before the apply at ts(0).
	ready := cond(CondReady, "True", ReasonTestDocumentsWritten, "Test documents written to State Store", -time.Minute)
	notFound := cond(CondReady, "False", ReasonStateStoreNotFound, "GitStateStore/x: not found", -time.Minute)
	appliedAt, _ := time.Parse(time.RFC3339, ts(0))
	// applied is a watch after an apply that changed the spec.
	applied := func(before map[string]any) *DestinationWatch {
		return &DestinationWatch{ReadyWatch{Generation: 2, AppliedAt: appliedAt, SpecChanged: true,
			Before: DestinationReadiness(destination("d", 2, gitSpec("dev", "x"), before))}}
	}

	// The condition as the apply returned it may describe the previous spec.
	w := applied(ready)
	out := w.Observe(destination("d", 2, gitSpec("dev", "x"), ready))
	if out.State != Waiting || !strings.Contains(out.Summary, "waiting for Kratix to reconcile the change") {
		t.Fatalf("condition from before the apply: %v %q", out.State, out.Summary)
	}
	if u, ok := w.Unconfirmed(); !ok || u.State != Done {
		t.Fatalf("Unconfirmed() = %v, %v; want Done", u, ok)
	}

	// Another write that leaves the condition as it was (a finalizer, say)
	// proves nothing.
	touched := destination("d", 2, gitSpec("dev", "x"), ready)
	touched.SetResourceVersion("11")
	touched.SetFinalizers([]string{FinalizerDestinationCleanup})
	if out := w.Observe(touched); out.State != Waiting {
		t.Fatalf("unrelated write: %v %q", out.State, out.Summary)
	}

	// A condition that moved after the apply, or changed, counts.
	for name, c := range map[string]map[string]any{
		"transition after the apply": cond(CondReady, "True", ReasonTestDocumentsWritten, "Test documents written to State Store", 2*time.Second),
		"new reason":                 cond(CondReady, "True", ReasonDestinationReady, "Destination is ready", -time.Minute),
	} {
		w = applied(ready)
		if out := w.Observe(destination("d", 2, gitSpec("dev", "x"), c)); out.State != Done {
			t.Errorf("%s: %v %q", name, out.State, out.Summary)
		}
		if _, ok := w.Unconfirmed(); ok {
			t.Errorf("%s: a confirmed observation left an unconfirmed outcome", name)
		}
	}
	// A transition in the apply's own second proves nothing (one-second
	// precision).
	w = applied(ready)
	same := cond(CondReady, "True", ReasonTestDocumentsWritten, "Test documents written to State Store", 0)
	w.Before = DestinationReadiness(destination("d", 2, gitSpec("dev", "x"), same))
	if out := w.Observe(destination("d", 2, gitSpec("dev", "x"), same)); out.State != Waiting {
		t.Fatalf("transition in the apply's second: %v %q", out.State, out.Summary)
	}

	// Without a spec change the condition is current.
	w = applied(ready)
	w.SpecChanged = false
	if out := w.Observe(destination("d", 2, gitSpec("dev", "x"), ready)); out.State != Done {
		t.Fatalf("no spec change: %v %q", out.State, out.Summary)
	}

	// A failure from before the apply is unconfirmed too.
	w = applied(notFound)
	if out := w.Observe(destination("d", 2, gitSpec("dev", "x"), notFound)); out.State != Waiting {
		t.Fatalf("stale failure: %v %q", out.State, out.Summary)
	}
	if u, ok := w.Unconfirmed(); !ok || u.State != Failed {
		t.Fatalf("Unconfirmed() = %v, %v; want Failed", u, ok)
	}

	// A recorded observedGeneration settles it.
	w = applied(ready)
	if out := w.Observe(destination("d", 2, gitSpec("dev", "x"), withGeneration(ready, 2))); out.State != Done {
		t.Fatalf("observedGeneration current: %v %q", out.State, out.Summary)
	}
}

// After an update that Kratix is slow to reconcile, the condition of the old
// spec stands unchanged; once Kratix's Event says it reconciled the update
// and found the Destination not ready, only a condition that agrees counts.
func TestReadyWatchFollowsKratixsVerdict(t *testing.T) {
	ready := destination("d", 2, gitSpec("dev", "x"), cond(CondReady, "True", ReasonTestDocumentsWritten, "Test documents written to State Store", -time.Minute))
	w := &DestinationWatch{ReadyWatch{Generation: 2, Before: DestinationReadiness(ready), SpecChanged: true}}
	if out := w.Observe(ready); out.State != Waiting {
		t.Fatalf("before the verdict: %+v, want waiting", out)
	}
	w.Reconciled(false)
	if out := w.Observe(ready); out.State != Waiting || !strings.Contains(out.Summary, "ready: false") {
		t.Fatalf("a condition that disagrees with the verdict: %+v, want waiting", out)
	}
	notFound := destination("d", 2, gitSpec("dev", "y"), cond(CondReady, "False", ReasonStateStoreNotFound, "GitStateStore/y: not found", time.Second))
	if out := w.Observe(notFound); out.State != Failed {
		t.Fatalf("the condition of the verdict: %+v, want failed", out)
	}
}

// Kratix found the applied version not ready because its push lost a race
// with another write, and reconciled again: the wait follows it to Ready.
func TestReadyWatchReadyAfterALostPushRace(t *testing.T) {
	ready := destination("d", 2, gitSpec("dev", "x"), cond(CondReady, "True", ReasonTestDocumentsWritten, "Test documents written to State Store", -time.Minute))
	w := &DestinationWatch{ReadyWatch{Generation: 2, Before: DestinationReadiness(ready), SpecChanged: true}}
	w.Reconciled(false)
	if out := w.Observe(ready); out.State != Waiting {
		t.Fatalf("the old Ready=True after a not-ready verdict: %+v, want waiting", out)
	}
	race := destination("d", 2, gitSpec("dev", "x"), cond(CondReady, "False", ReasonStateStoreWriteFailed,
		"Failed to write test documents to State Store: non-fast-forward update: refs/heads/main", time.Second))
	if out := w.Observe(race); out.State != Waiting || !strings.Contains(out.Summary, "try again") {
		t.Fatalf("a lost push race: %+v, want waiting for Kratix to try again", out)
	}
	readyAgain := destination("d", 2, gitSpec("dev", "x"), cond(CondReady, "True", ReasonTestDocumentsWritten, "Test documents written to State Store", 15*time.Second))
	if out := w.Observe(readyAgain); out.State != Done {
		t.Fatalf("Ready=True after the race: %+v, want done", out)
	}
}

// A store whose Secret the apply wrote: Kratix reporting the Secret missing,
// even after the apply, has not seen the write yet; any other failure it
// reports after the apply stands.
func TestReadyWatchSecretWritten(t *testing.T) {
	appliedAt, _ := time.Parse(time.RFC3339, ts(0))
	spec := map[string]any{"url": "https://example.com/r.git", "secretRef": map[string]any{"name": "creds"}}
	status := func(c map[string]any) map[string]any {
		return map[string]any{"status": "NotReady", "conditions": []any{c}}
	}
	missing := cond(CondReady, "False", ReasonSecretNotFound, `secret "creds" not found`, 2*time.Second)
	w := &StateStoreWatch{ReadyWatch{Generation: 1, AppliedAt: appliedAt, SecretWritten: true}}
	if out := w.Observe(store(GitStateStoreKind, 1, spec, status(missing))); out.State != Failed || !w.StaleFailure() {
		t.Fatalf("Secret missing after the apply wrote it: %v, stale %t", out.State, w.StaleFailure())
	}
	denied := cond(CondReady, "False", ReasonErrorValidatingPermissions, "authentication required", 2*time.Second)
	if out := w.Observe(store(GitStateStoreKind, 1, spec, status(denied))); out.State != Failed || w.StaleFailure() {
		t.Fatalf("another failure after the apply: %v, stale %t", out.State, w.StaleFailure())
	}
	unwritten := &StateStoreWatch{ReadyWatch{Generation: 1, AppliedAt: appliedAt}}
	if out := unwritten.Observe(store(GitStateStoreKind, 1, spec, status(missing))); out.State != Failed || unwritten.StaleFailure() {
		t.Fatalf("Secret missing, not written by the apply: %v, stale %t", out.State, unwritten.StaleFailure())
	}
}

func TestDestinationReconcileVerdict(t *testing.T) {
	event := func(reason, rv string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"reason": reason, "involvedObject": map[string]any{"kind": "Destination", "resourceVersion": rv},
		}}
	}
	for _, tc := range []struct {
		name      string
		event     *unstructured.Unstructured
		ready, ok bool
	}{
		{"ready, this version", event(EventReasonDestinationReady, "120"), true, true},
		{"not ready, a later version", event(EventReasonDestinationNotReady, "130"), false, true},
		{"an earlier version", event(EventReasonDestinationReady, "119"), false, false},
		{"another reason", event("Scheduled", "120"), false, false},
	} {
		ready, ok := DestinationReconcileVerdict(tc.event, "120")
		if ready != tc.ready || ok != tc.ok {
			t.Errorf("%s: got %t, %t; want %t, %t", tc.name, ready, ok, tc.ready, tc.ok)
		}
	}
}

func TestReadyWatchStaleFailure(t *testing.T) {
	appliedAt, _ := time.Parse(time.RFC3339, ts(0))
	notFound := cond(CondReady, "False", ReasonStateStoreNotFound, "GitStateStore/x: not found", -time.Minute)
	// An apply that left the spec as it was but changed what Kratix reads
	// (a store's Secret written again).
	w := &DestinationWatch{ReadyWatch{Generation: 2, AppliedAt: appliedAt,
		Before: DestinationReadiness(destination("d", 2, gitSpec("dev", "x"), notFound))}}

	// The failure the apply returned: Kratix may not have looked yet.
	if out := w.Observe(destination("d", 2, gitSpec("dev", "x"), notFound)); out.State != Failed || !w.StaleFailure() {
		t.Fatalf("failure from before the apply: %v, stale %t", out.State, w.StaleFailure())
	}
	// Kratix wrote it again after the apply: it looked, and it stands.
	again := cond(CondReady, "False", ReasonStateStoreNotFound, "GitStateStore/x: not found", 2*time.Second)
	if out := w.Observe(destination("d", 2, gitSpec("dev", "x"), again)); out.State != Failed || w.StaleFailure() {
		t.Fatalf("failure written after the apply: %v, stale %t", out.State, w.StaleFailure())
	}
	// On create nothing came before: every failure is Kratix's answer.
	created := &DestinationWatch{ReadyWatch{Generation: 1, AppliedAt: appliedAt, SpecChanged: true}}
	if out := created.Observe(destination("d", 1, gitSpec("dev", "x"), notFound)); out.State != Failed || created.StaleFailure() {
		t.Fatalf("failure after create: %v, stale %t", out.State, created.StaleFailure())
	}
}
