package kube

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/watch"
)

// crdWatchUntilStopped serves a CRD watch that sends events after delay and
// then stays open, as a real API server's does, until the client stops it;
// stopped is closed then.
func crdWatchUntilStopped(delay time.Duration, before func(), stopped chan<- struct{}, events ...map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer close(stopped)
		send := watchStream(w)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		before()
		for _, ev := range events {
			send(watch.Added, ev)
		}
		<-r.Context().Done()
	}
}

// apiWithNewKindAfter serves a cluster whose CRD for widgets becomes
// Established, and the kind served, after delay, with a client of it;
// stopped is closed when the client stops watching the CRDs.
func apiWithNewKindAfter(t *testing.T, delay time.Duration) (*fakeAPI, *Client, <-chan struct{}) {
	t.Helper()
	f := newFakeAPI(t)
	f.serveKind("other.io/v1", gadgetResource)
	stopped := make(chan struct{})
	f.on("GET", crdsPath, crdListOrWatch(respond(crdList("5")),
		sequence(t, crdWatchUntilStopped(delay, f.serveWidgets, stopped, crd("6", "True", "v1")))))
	return f, f.client(), stopped
}

// TestWaitForKindSharesOneCRDWatch: twenty requests of a new Promise wait
// for its kind at once; the Client lists and watches the CRDs once for all
// of them, and stops watching when the last one has its answer.
func TestWaitForKindSharesOneCRDWatch(t *testing.T) {
	f, c, stopped := apiWithNewKindAfter(t, 300*time.Millisecond)
	ctx := withTimeout(t, 10*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.WaitForKind(ctx, widgetGVK)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count("GET", crdsPath); n != 2 {
		t.Errorf("CRDs requested %d times by 20 concurrent waiters, want one list and one watch", n)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Error("the CRD watch is still open after every waiter returned")
	}
}

// TestWaitForKindWaiterLeavesOnItsOwnDeadline: a waiter whose deadline comes
// first gets the same timeout error as a lone waiter would, while the other
// keeps the shared watch and sees the kind served.
func TestWaitForKindWaiterLeavesOnItsOwnDeadline(t *testing.T) {
	f, c, _ := apiWithNewKindAfter(t, 700*time.Millisecond)
	patient := make(chan error, 1)
	go func() {
		_, err := c.WaitForKind(withTimeout(t, 10*time.Second), widgetGVK)
		patient <- err
	}()
	_, err := c.WaitForKind(withTimeout(t, 300*time.Millisecond), widgetGVK)
	var werr *WaitError
	if !errors.As(err, &werr) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a *WaitError for the deadline, got %T %v", err, err)
	}
	assertContains(t, err, "waiting for kind Widget (example.com/v1) to be served",
		`no CustomResourceDefinition with spec.group "example.com" and spec.names.kind "Widget" exists`)
	if err := <-patient; err != nil {
		t.Fatalf("the waiter with time left: %v", err)
	}
	if n := f.count("GET", crdsPath); n != 2 {
		t.Errorf("CRDs requested %d times, want one list and one watch shared by both waiters", n)
	}
}
