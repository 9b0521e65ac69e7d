package kratix

import (
	"strings"
	"testing"
)

func TestReadyWatchUnconfirmed(t *testing.T) {
	ready := cond(CondReady, "True", ReasonTestDocumentsWritten, "Test documents written to State Store", 0)
	notFound := cond(CondReady, "False", ReasonStateStoreNotFound, "GitStateStore/x: not found", 0)
	// applied is a watch after an apply that changed the spec and
	// returned resourceVersion 10.
	applied := func() *DestinationWatch {
		return &DestinationWatch{ReadyWatch{Generation: 2, AppliedResourceVersion: "10", SpecChanged: true}}
	}

	// The object exactly as the apply returned it, after a spec change:
	// its Ready=True may describe the previous spec.
	w := applied()
	d := destination("d", 2, gitSpec("dev", "x"), ready)
	d.SetResourceVersion("10")
	out := w.Observe(d)
	if out.State != Waiting || !strings.Contains(out.Summary, "waiting for Kratix to reconcile the change") {
		t.Fatalf("untouched object after a spec change: %v %q", out.State, out.Summary)
	}
	if u, ok := w.Unconfirmed(); !ok || u.State != Done {
		t.Fatalf("Unconfirmed() = %v, %v; want Done", u, ok)
	}

	// Kratix wrote after the apply: the condition counts.
	d.SetResourceVersion("11")
	if out := w.Observe(d); out.State != Done {
		t.Fatalf("touched object: %v %q", out.State, out.Summary)
	}
	if _, ok := w.Unconfirmed(); ok {
		t.Fatal("a confirmed observation left an unconfirmed outcome")
	}

	// Without a spec change the condition is current.
	w = &DestinationWatch{ReadyWatch{Generation: 2, AppliedResourceVersion: "10"}}
	d.SetResourceVersion("10")
	if out := w.Observe(d); out.State != Done {
		t.Fatalf("no spec change: %v %q", out.State, out.Summary)
	}

	// A failure on the untouched object is unconfirmed too.
	w = applied()
	f := destination("d", 2, gitSpec("dev", "x"), notFound)
	f.SetResourceVersion("10")
	if out := w.Observe(f); out.State != Waiting {
		t.Fatalf("untouched failure: %v %q", out.State, out.Summary)
	}
	if u, ok := w.Unconfirmed(); !ok || u.State != Failed {
		t.Fatalf("Unconfirmed() = %v, %v; want Failed", u, ok)
	}

	// A recorded observedGeneration settles it without the resourceVersion.
	g := destination("d", 2, gitSpec("dev", "x"), withGeneration(ready, 2))
	g.SetResourceVersion("10")
	w = applied()
	if out := w.Observe(g); out.State != Done {
		t.Fatalf("observedGeneration current: %v %q", out.State, out.Summary)
	}
}
