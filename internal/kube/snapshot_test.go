package kube

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// listWidgets serves the widget listing with names; every object says
// from "list" in its status, so a test can tell where an answer came from.
func listWidgets(names ...string) http.HandlerFunc {
	var items []map[string]any
	for _, n := range names {
		w := widget(n, "1", 1, 0, "")
		w["status"] = map[string]any{"from": "list"}
		items = append(items, w)
	}
	return respond(widgetList("9", items...))
}

// getWidget serves one widget read with a GET.
func getWidget(name string) http.HandlerFunc {
	w := widget(name, "2", 1, 0, "")
	w["status"] = map[string]any{"from": "get"}
	return respond(w)
}

func from(t *testing.T, c *Client, name string) string {
	t.Helper()
	obj, err := c.GetForRefresh(withTimeout(t, 10*time.Second), widgetGVK, "ns", name)
	if err != nil {
		t.Fatalf("GetForRefresh(%s): %v", name, err)
	}
	if obj.GetName() != name {
		t.Fatalf("GetForRefresh(%s) returned %s", name, obj.GetName())
	}
	s, _, _ := unstructured.NestedString(obj.Object, "status", "from")
	return s
}

// TestGetForRefreshListsOnce: reads of many objects of a kind cost one
// listing (with the page size), and no GET.
func TestGetForRefreshListsOnce(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	p := &pagedWidgets{}
	f.on("GET", widgetsPath, p.serve(map[string]http.HandlerFunc{"": listWidgets("a", "b", "c")}))
	c := f.client()
	for _, n := range []string{"a", "b", "c", "a"} {
		if got := from(t, c, n); got != "list" {
			t.Errorf("%s read from %q, want list", n, got)
		}
	}
	if n := f.count("GET", widgetsPath); n != 1 {
		t.Errorf("%d listings, want 1", n)
	}
	if want := "limit=500 continue="; p.log() != want {
		t.Errorf("requests: %s, want %s", p.log(), want)
	}
	for _, n := range []string{"a", "b", "c"} {
		if got := f.count("GET", widgetsPath+"/"+n); got != 0 {
			t.Errorf("%d GETs of %s, want 0", got, n)
		}
	}
}

// TestGetForRefreshReturnsCopies: a caller that changes what it got does
// not change what the next caller gets.
func TestGetForRefreshReturnsCopies(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listWidgets("a"))
	c := f.client()
	obj, err := c.GetForRefresh(withTimeout(t, 10*time.Second), widgetGVK, "ns", "a")
	if err != nil {
		t.Fatal(err)
	}
	obj.SetLabels(map[string]string{"changed": "yes"})
	again, err := c.GetForRefresh(withTimeout(t, 10*time.Second), widgetGVK, "ns", "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.GetLabels()) != 0 {
		t.Errorf("the second read saw the first caller's change: %v", again.GetLabels())
	}
}

// TestGetForRefreshReadsWhatTheListingLacks: an object missing from the
// listing is read with a GET, and only that GET's 404 makes it gone.
func TestGetForRefreshReadsWhatTheListingLacks(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listWidgets("a"))
	f.on("GET", widgetsPath+"/late", getWidget("late"))
	f.on("GET", widgetsPath+"/gone", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewNotFound(schema.GroupResource{Group: "example.com", Resource: "widgets"}, "gone"))
	})
	c := f.client()
	if got := from(t, c, "late"); got != "get" {
		t.Errorf("late read from %q, want get", got)
	}
	_, err := c.GetForRefresh(withTimeout(t, 10*time.Second), widgetGVK, "ns", "gone")
	if !IsNotFound(err) {
		t.Errorf("gone: %v, want not found", err)
	}
	if n := f.count("GET", widgetsPath+"/gone"); n != 1 {
		t.Errorf("%d GETs of gone, want 1", n)
	}
	if n := f.count("GET", widgetsPath); n != 1 {
		t.Errorf("%d listings, want 1", n)
	}
}

// TestGetForRefreshFallsBackWhenListingFails: credentials that may get
// but not list read object by object, and the refused listing is not
// tried again for every object.
func TestGetForRefreshFallsBackWhenListingFails(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewForbidden(schema.GroupResource{Group: "example.com", Resource: "widgets"}, "", nil))
	})
	f.on("GET", widgetsPath+"/a", getWidget("a"))
	f.on("GET", widgetsPath+"/b", getWidget("b"))
	c := f.client()
	for _, n := range []string{"a", "b"} {
		if got := from(t, c, n); got != "get" {
			t.Errorf("%s read from %q, want get", n, got)
		}
	}
	if n := f.count("GET", widgetsPath); n != 1 {
		t.Errorf("%d listings, want 1", n)
	}
}

// TestGetForRefreshFailedListing: a listing that fails never makes an
// object gone: the GET answers.
func TestGetForRefreshFailedListing(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewBadRequest("the listing is refused"))
	})
	f.on("GET", widgetsPath+"/a", getWidget("a"))
	if got := from(t, f.client(), "a"); got != "get" {
		t.Errorf("a read from %q, want get", got)
	}
}

// TestGetForRefreshAfterWrite: a write of the kind through the Client
// drops its listing, so the next read lists again.
func TestGetForRefreshAfterWrite(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listWidgets("a", "b"))
	f.on("PATCH", widgetsPath+"/a", respond(widget("a", "3", 2, 0, "")))
	c := f.client()
	from(t, c, "a")
	if _, err := c.MergePatch(withTimeout(t, 10*time.Second), widgetGVK, "ns", "a", []byte(`{"spec":{}}`), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	from(t, c, "b")
	if n := f.count("GET", widgetsPath); n != 2 {
		t.Errorf("%d listings, want 2 (one before the write, one after)", n)
	}
	// A write of another kind changes nothing.
	c.wrote(gadgetGVK, false)
	from(t, c, "a")
	if n := f.count("GET", widgetsPath); n != 2 {
		t.Errorf("%d listings after a write of another kind, want 2", n)
	}
}

// TestGetForRefreshAfterDryRun: a dry run of every kind of write persists
// nothing and leaves the listing in use; a real write after it does not.
func TestGetForRefreshAfterDryRun(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listWidgets("a", "b"))
	f.on("PATCH", widgetsPath+"/a", respond(widget("a", "3", 2, 0, "")))
	f.on("PUT", widgetsPath+"/a", respond(widget("a", "3", 2, 0, "")))
	f.on("POST", widgetsPath, respond(widget("c", "3", 1, 0, "")))
	f.on("DELETE", widgetsPath+"/a", respond(map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Success"}))
	c := f.client()
	ctx := withTimeout(t, 10*time.Second)
	widgetObject := func(name string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: widget(name, "", 0, 0, "")}
	}
	from(t, c, "a")
	dry := WriteOptions{DryRun: true}
	steps := map[string]func() error{
		"apply": func() error {
			_, err := c.Apply(ctx, widgetObject("a"), ApplyOptions{DryRun: true})
			return err
		},
		"merge patch": func() error {
			_, err := c.MergePatch(ctx, widgetGVK, "ns", "a", []byte(`{"spec":{}}`), dry)
			return err
		},
		"update": func() error { _, err := c.Update(ctx, widgetObject("a"), dry); return err },
		"create": func() error { _, err := c.Create(ctx, widgetObject("c"), dry); return err },
		"delete": func() error {
			return c.Delete(ctx, widgetGVK, "ns", "a", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
		},
	}
	for name, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("dry-run %s: %v", name, err)
		}
		if got := from(t, c, "b"); got != "list" {
			t.Errorf("read after a dry-run %s came from %q, want the listing", name, got)
		}
	}
	if n := f.count("GET", widgetsPath); n != 1 {
		t.Errorf("%d listings after dry runs, want 1", n)
	}
	if _, err := c.MergePatch(ctx, widgetGVK, "ns", "a", []byte(`{"spec":{}}`), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	from(t, c, "b")
	if n := f.count("GET", widgetsPath); n != 2 {
		t.Errorf("%d listings after a real write, want 2", n)
	}
}

// TestGetForRefreshWriteDuringListing: a listing that began before a write
// answers nobody, not even the callers that waited for it.
func TestGetForRefreshWriteDuringListing(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	c := f.client()
	listing := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	f.on("GET", widgetsPath, func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(listing); <-release })
		listWidgets("a")(w, r)
	})
	f.on("GET", widgetsPath+"/a", getWidget("a"))
	got := make(chan string, 1)
	go func() { got <- from(t, c, "a") }()
	<-listing
	c.wrote(widgetGVK, false)
	close(release)
	if s := <-got; s != "get" {
		t.Errorf("read from %q after a write during the listing, want get", s)
	}
}

// TestGetForRefreshMaxAge: a listing older than SnapshotMaxAge answers no
// more reads.
func TestGetForRefreshMaxAge(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", widgetsPath, listWidgets("a"))
	c := f.client()
	var now atomic.Int64
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.snaps.now = func() time.Time { return base.Add(time.Duration(now.Load())) }
	from(t, c, "a")
	now.Store(int64(SnapshotMaxAge - time.Millisecond))
	from(t, c, "a")
	if n := f.count("GET", widgetsPath); n != 1 {
		t.Errorf("%d listings within the maximum age, want 1", n)
	}
	now.Store(int64(SnapshotMaxAge))
	from(t, c, "a")
	if n := f.count("GET", widgetsPath); n != 2 {
		t.Errorf("%d listings after the maximum age, want 2", n)
	}
}

// TestGetForRefreshSharesOneListing: concurrent reads of a kind wait for
// the one listing under way.
func TestGetForRefreshSharesOneListing(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	release := make(chan struct{})
	f.on("GET", widgetsPath, func(w http.ResponseWriter, r *http.Request) {
		<-release
		listWidgets("a", "b", "c", "d")(w, r)
	})
	c := f.client()
	var wg sync.WaitGroup
	names := []string{"a", "b", "c", "d", "a", "b", "c", "d"}
	results := make([]string, len(names))
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = from(t, c, n)
		}()
	}
	time.Sleep(100 * time.Millisecond) // let the readers queue up behind the listing
	close(release)
	wg.Wait()
	for i, s := range results {
		if s != "list" {
			t.Errorf("%s read from %q, want list", names[i], s)
		}
	}
	if n := f.count("GET", widgetsPath); n != 1 {
		t.Errorf("%d listings for %d concurrent reads, want 1", n, len(names))
	}
}

// TestGetForRefreshWaiterDeadline: a reader whose own deadline ends while
// it waits for the listing gets an error, never "not found".
func TestGetForRefreshWaiterDeadline(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	release := make(chan struct{})
	defer close(release)
	f.on("GET", widgetsPath, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		listWidgets("a")(w, r)
	})
	c := f.client()
	go func() { _, _ = c.GetForRefresh(withTimeout(t, 10*time.Second), widgetGVK, "ns", "a") }()
	time.Sleep(50 * time.Millisecond)
	_, err := c.GetForRefresh(withTimeout(t, 100*time.Millisecond), widgetGVK, "ns", "a")
	if err == nil || IsNotFound(err) {
		t.Errorf("waiter whose deadline ended: %v, want a timeout error", err)
	}
}

// TestGetForRefreshPerNamespace: a namespaced kind is listed only in the
// namespaces asked for, once each; a cluster-scoped kind once in all.
func TestGetForRefreshPerNamespace(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.serveKind("other.io/v1", gadgetResource)
	const otherNS = "/apis/example.com/v1/namespaces/other/widgets"
	f.on("GET", widgetsPath, listWidgets("a"))
	f.on("GET", otherNS, respond(widgetList("9", widget("b", "1", 1, 0, ""))))
	f.on("GET", "/apis/other.io/v1/gadgets", respond(map[string]any{
		"apiVersion": "other.io/v1", "kind": "GadgetList", "metadata": map[string]any{"resourceVersion": "5"},
		"items": []any{map[string]any{"apiVersion": "other.io/v1", "kind": "Gadget", "metadata": map[string]any{"name": "g"}}},
	}))
	c := f.client()
	ctx := withTimeout(t, 10*time.Second)
	for range 2 {
		if _, err := c.GetForRefresh(ctx, widgetGVK, "ns", "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetForRefresh(ctx, widgetGVK, "other", "b"); err != nil {
			t.Fatal(err)
		}
		// The namespace a caller gives a cluster-scoped kind is ignored.
		if _, err := c.GetForRefresh(ctx, gadgetGVK, "ns", "g"); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{widgetsPath, otherNS, "/apis/other.io/v1/gadgets"} {
		if n := f.count("GET", path); n != 1 {
			t.Errorf("%d listings of %s, want 1", n, path)
		}
	}
	if n := f.count("GET", "/apis/example.com/v1/widgets"); n != 0 {
		t.Errorf("widgets listed in all namespaces %d times", n)
	}
}
