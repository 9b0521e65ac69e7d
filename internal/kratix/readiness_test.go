package kratix

import (
	"strings"
	"testing"
	"time"
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
