package kube

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
)

// readyCond waits for Ready=True on the current generation and records
// every state it is shown ("absent" for nil).
type readyCond struct {
	mu   sync.Mutex
	seen []string
}

func (r *readyCond) check(obj *unstructured.Unstructured) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if obj == nil {
		r.seen = append(r.seen, "absent")
		return false, nil
	}
	r.seen = append(r.seen, obj.GetResourceVersion())
	c, ok := FindCondition(obj, "Ready")
	return ok && c.IsTrue() && GenerationObserved(obj), nil
}

func (r *readyCond) states() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.seen, ",")
}

// listOnce serves one list response per call from the given sequence.
func sequence(t *testing.T, handlers ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	i := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n := i
		i++
		mu.Unlock()
		if n >= len(handlers) {
			t.Errorf("unexpected request #%d: %s", n+1, r.URL)
			writeStatus(w, apierrors.NewInternalError(errors.New("unexpected request")))
			return
		}
		handlers[n](w, r)
	}
}

// listOrWatch routes list and watch requests on one path.
func listOrWatch(list, watchH http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("watch") == "true" {
			watchH(w, r)
			return
		}
		if sel := r.URL.Query().Get("fieldSelector"); sel != "metadata.name=w1" {
			writeStatus(w, apierrors.NewBadRequest("unexpected fieldSelector "+sel))
			return
		}
		list(w, r)
	}
}

func respond(v any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, v) }
}

func events(evs ...watch.Event) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		send := watchStream(w)
		for _, ev := range evs {
			send(ev.Type, ev.Object.(*unstructured.Unstructured).Object)
		}
	}
}

func ev(typ watch.EventType, m map[string]any) watch.Event {
	return watch.Event{Type: typ, Object: &unstructured.Unstructured{Object: m}}
}

// hang keeps a watch open without events until the client goes away.
func hang(w http.ResponseWriter, r *http.Request) {
	watchStream(w)
	<-r.Context().Done()
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestWaitForResumesAfterWatchCloses: the server closes the first watch
// mid-way; WaitFor re-establishes it from the last resourceVersion it saw,
// without listing again, and returns once the condition holds.
func TestWaitForResumesAfterWatchCloses(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listOrWatch(
		sequence(t, respond(widgetList("10", widget("w1", "10", 2, 1, "False")))),
		sequence(t,
			events(ev(watch.Modified, widget("w1", "11", 2, 2, "False"))), // then the stream ends
			events(ev(watch.Modified, widget("w1", "12", 2, 2, "True"))),
		),
	))
	cond := &readyCond{}
	obj, err := f.client().WaitFor(withTimeout(t, 10*time.Second), widgetGVK, "ns", "w1", cond.check)
	if err != nil {
		t.Fatal(err)
	}
	if obj.GetResourceVersion() != "12" {
		t.Errorf("returned resourceVersion %s, want 12", obj.GetResourceVersion())
	}
	if got := cond.states(); got != "10,11,12" {
		t.Errorf("condition saw %s, want 10,11,12", got)
	}
	if got := f.watches(); got != "10,11" {
		t.Errorf("watches started at resourceVersion %s, want 10,11 (resume from last seen)", got)
	}
	if n := f.count("GET", widgetsPath) - len(strings.Split(f.watches(), ",")); n != 1 {
		t.Errorf("listed %d times, want 1", n)
	}
}

// TestWaitForRelistsOnGone: an expired resourceVersion (410) in the watch
// stream or as the watch response leads to a fresh list.
func TestWaitForRelistsOnGone(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	expired := apierrors.NewResourceExpired("too old resource version: 10 (50)").ErrStatus
	expired.Kind, expired.APIVersion = "Status", "v1"
	f.on("GET", widgetsPath, listOrWatch(
		sequence(t,
			respond(widgetList("10", widget("w1", "10", 1, 1, "False"))),
			respond(widgetList("50", widget("w1", "50", 1, 1, "False"))),
			respond(widgetList("60", widget("w1", "60", 1, 1, "True"))),
		),
		sequence(t,
			func(w http.ResponseWriter, _ *http.Request) { watchStream(w)(watch.Error, &expired) },
			func(w http.ResponseWriter, _ *http.Request) { writeStatus(w, apierrors.NewGone("gone")) },
		),
	))
	cond := &readyCond{}
	_, err := f.client().WaitFor(withTimeout(t, 10*time.Second), widgetGVK, "ns", "w1", cond.check)
	if err != nil {
		t.Fatal(err)
	}
	if got := cond.states(); got != "10,50,60" {
		t.Errorf("condition saw %s, want 10,50,60", got)
	}
	if got := f.watches(); got != "10,50" {
		t.Errorf("watch resourceVersions %s, want 10,50", got)
	}
}

// TestWaitForSurvivesTransientWatchFailure: a 503 when (re)starting the watch
// is retried, not returned.
func TestWaitForSurvivesTransientWatchFailure(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listOrWatch(
		sequence(t, respond(widgetList("10", widget("w1", "10", 1, 0, "")))),
		sequence(t,
			func(w http.ResponseWriter, _ *http.Request) {
				writeStatus(w, apierrors.NewServiceUnavailable("apiserver is restarting"))
			},
			events(ev(watch.Modified, widget("w1", "11", 1, 1, "True"))),
		),
	))
	cond := &readyCond{}
	if _, err := f.client().WaitFor(withTimeout(t, 10*time.Second), widgetGVK, "ns", "w1", cond.check); err != nil {
		t.Fatal(err)
	}
	if got := f.watches(); got != "10,10" {
		t.Errorf("watch resourceVersions %s, want 10,10", got)
	}
}

// TestWaitForAbsenceAndDeletion: the condition sees nil for "does not
// exist", both from the list and from a DELETED event.
func TestWaitForAbsenceAndDeletion(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listOrWatch(
		sequence(t, respond(widgetList("10"))),
		sequence(t, events(
			ev(watch.Added, widget("w1", "11", 1, 0, "")),
			ev(watch.Deleted, widget("w1", "12", 1, 0, "")),
		)),
	))
	var seen []string
	gone := func(obj *unstructured.Unstructured) (bool, error) {
		if obj == nil {
			seen = append(seen, "absent")
			return len(seen) > 1, nil // done once it disappears again
		}
		seen = append(seen, obj.GetResourceVersion())
		return false, nil
	}
	obj, err := f.client().WaitFor(withTimeout(t, 10*time.Second), widgetGVK, "ns", "w1", gone)
	if err != nil || obj != nil {
		t.Fatalf("got %v, %v; want nil object and no error", obj, err)
	}
	if got := strings.Join(seen, ","); got != "absent,11,absent" {
		t.Errorf("condition saw %s", got)
	}
}

// TestWaitForTimeoutSaysWhatItSaw: when ctx ends, the error wraps
// ctx.Err() and describes the last observed state; the object is returned.
func TestWaitForTimeoutSaysWhatItSaw(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listOrWatch(
		respond(widgetList("10", widget("w1", "10", 3, 2, "False"))),
		hang,
	))
	cond := &readyCond{}
	start := time.Now()
	obj, err := f.client().WaitFor(withTimeout(t, 300*time.Millisecond), widgetGVK, "ns", "w1", cond.check)
	if time.Since(start) > 5*time.Second {
		t.Errorf("WaitFor overran its context: %v", time.Since(start))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want an error wrapping context.DeadlineExceeded, got %v", err)
	}
	var we *WaitError
	if !errors.As(err, &we) || we.LastObject == nil {
		t.Fatalf("want *WaitError with the last object, got %#v", err)
	}
	assertContains(t, err, "timed out waiting for", `widgets.example.com "w1" in namespace "ns"`,
		"generation 3", "status.observedGeneration 2", `Ready=False`)
	if obj == nil || obj.GetResourceVersion() != "10" {
		t.Errorf("last object not returned: %v", obj)
	}
}

func TestWaitForReturnsConditionError(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listOrWatch(respond(widgetList("10", widget("w1", "10", 1, 1, "False"))), hang))
	failed := errors.New("workflow failed")
	_, err := f.client().WaitFor(withTimeout(t, 10*time.Second), widgetGVK, "ns", "w1",
		func(*unstructured.Unstructured) (bool, error) { return false, failed })
	if err != failed {
		t.Errorf("condition error not returned unchanged: %v", err)
	}
}

func TestWaitForReportsForbiddenWatch(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listOrWatch(
		respond(widgetList("10", widget("w1", "10", 1, 1, "False"))),
		func(w http.ResponseWriter, _ *http.Request) {
			writeStatus(w, apierrors.NewForbidden(widgetsGR, "", errors.New(`User "bob" cannot watch resource "widgets"`)))
		},
	))
	_, err := f.client().WaitFor(withTimeout(t, 10*time.Second), widgetGVK, "ns", "w1", (&readyCond{}).check)
	if !IsForbidden(err) {
		t.Fatalf("want forbidden, got %v", err)
	}
	assertContains(t, err, `User "bob" may not watch`, `Grant the verb "watch"`)
}
