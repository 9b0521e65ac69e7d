package kube

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// pagedWidgets serves widget lists by continue token: pages maps the token
// ("" for the first page) to the handler of that page. It records the
// limit and continue of every request.
type pagedWidgets struct {
	mu       sync.Mutex
	requests []string // "limit=N continue=T"
}

func (p *pagedWidgets) serve(pages map[string]http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p.mu.Lock()
		p.requests = append(p.requests, "limit="+q.Get("limit")+" continue="+q.Get("continue"))
		p.mu.Unlock()
		h, ok := pages[q.Get("continue")]
		if !ok {
			writeStatus(w, apierrors.NewBadRequest("unknown continue token"))
			return
		}
		h(w, r)
	}
}

func (p *pagedWidgets) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.requests, "; ")
}

func widgetPage(next string, names ...string) http.HandlerFunc {
	var items []map[string]any
	for _, n := range names {
		items = append(items, widget(n, "1", 1, 0, ""))
	}
	l := widgetList("9", items...)
	l["metadata"].(map[string]any)["continue"] = next
	return respond(l)
}

// expired is the 410 of a continue token whose snapshot was compacted; with
// next set, the server offers a token to go on from a newer snapshot.
func expired(next string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		err := apierrors.NewResourceExpired("The provided continue parameter is too old")
		err.ErrStatus.Continue = next
		writeStatus(w, err)
	}
}

func collectPages(t *testing.T, c *Client, limit int64, stopAfter int) ([]string, error) {
	t.Helper()
	var names []string
	pages := 0
	err := c.ListPages(withTimeout(t, 10*time.Second), widgetGVK, "ns", metav1.ListOptions{Limit: limit}, func(items []unstructured.Unstructured) bool {
		for _, it := range items {
			names = append(names, it.GetName())
		}
		pages++
		return stopAfter == 0 || pages < stopAfter
	})
	return names, err
}

// TestListPagesFollowsContinue: every page asks for the page size and
// carries the previous page's continue token, to the last page.
func TestListPagesFollowsContinue(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	p := &pagedWidgets{}
	f.on("GET", widgetsPath, p.serve(map[string]http.HandlerFunc{
		"": widgetPage("t1", "a", "b"), "t1": widgetPage("t2", "c", "d"), "t2": widgetPage("", "e"),
	}))
	names, err := collectPages(t, f.client(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, ","); got != "a,b,c,d,e" {
		t.Errorf("listed %s", got)
	}
	if want := "limit=500 continue=; limit=500 continue=t1; limit=500 continue=t2"; p.log() != want {
		t.Errorf("requests: %s\nwant:     %s", p.log(), want)
	}
}

// TestListPagesStopsWhenTold: a caller that has what it needs after the
// first page makes no further request.
func TestListPagesStopsWhenTold(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	p := &pagedWidgets{}
	f.on("GET", widgetsPath, p.serve(map[string]http.HandlerFunc{"": widgetPage("t1", "a", "b"), "t1": widgetPage("", "c")}))
	if _, err := collectPages(t, f.client(), 2, 1); err != nil {
		t.Fatal(err)
	}
	if want := "limit=2 continue="; p.log() != want {
		t.Errorf("requests: %s, want only %s", p.log(), want)
	}
}

// TestListPagesContinuesAfterExpiry: the snapshot expires between pages;
// the listing goes on with the token the 410 carries, without repeating
// what it handed over already.
func TestListPagesContinuesAfterExpiry(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	p := &pagedWidgets{}
	f.on("GET", widgetsPath, p.serve(map[string]http.HandlerFunc{
		"": widgetPage("t1", "a", "b"), "t1": expired("fresh"), "fresh": widgetPage("", "c"),
	}))
	names, err := collectPages(t, f.client(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, ","); got != "a,b,c" {
		t.Errorf("listed %s, want a,b,c", got)
	}
}

// TestListPagesExpiredWithoutToken: when the server offers no way on, the
// error says which page expired and what to do.
func TestListPagesExpiredWithoutToken(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	p := &pagedWidgets{}
	f.on("GET", widgetsPath, p.serve(map[string]http.HandlerFunc{"": widgetPage("t1", "a"), "t1": expired("")}))
	_, err := collectPages(t, f.client(), 0, 0)
	assertContains(t, err, "page 2 of the listing expired", "run the listing again", "widgets")
}
