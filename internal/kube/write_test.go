package kube

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// flakyRecorder answers the first failures requests with a 503 (as an API
// server restarting would), then with want, recording what it received.
type flakyRecorder struct {
	mu          sync.Mutex
	failures    int
	calls       int
	contentType string
	query       url.Values
	body        []byte
	answer      func(w http.ResponseWriter, body []byte)
}

func (f *flakyRecorder) handler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls++
	f.contentType, f.query, f.body = r.Header.Get("Content-Type"), r.URL.Query(), body
	fail := f.calls <= f.failures
	f.mu.Unlock()
	if fail {
		writeStatus(w, apierrors.NewServiceUnavailable("restarting"))
		return
	}
	f.answer(w, body)
}

func echo(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func TestCreateUpdateAndMergePatchRetryAndSendOptions(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	post := &flakyRecorder{failures: 2, answer: echo}
	put := &flakyRecorder{failures: 1, answer: echo}
	patch := &flakyRecorder{failures: 1, answer: func(w http.ResponseWriter, _ []byte) { writeJSON(w, http.StatusOK, widget("w1", "9", 1, 0, "")) }}
	f.on("POST", widgetsPath, post.handler)
	f.on("PUT", widgetsPath+"/w1", put.handler)
	f.on("PATCH", widgetsPath+"/w1", patch.handler)
	c := f.client()
	ctx := context.Background()
	obj := &unstructured.Unstructured{Object: widget("w1", "", 0, 0, "")}

	if _, err := c.Create(ctx, obj, WriteOptions{FieldManager: "me", DryRun: true}); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if post.calls != 3 || post.query.Get("fieldManager") != "me" || post.query.Get("dryRun") != "All" {
		t.Errorf("Create: %d calls (want 3: two 503s retried), query %v", post.calls, post.query)
	}
	obj.SetResourceVersion("7")
	if _, err := c.Update(ctx, obj, WriteOptions{}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if put.calls != 2 || put.query.Get("fieldManager") != DefaultFieldManager || put.query.Has("dryRun") {
		t.Errorf("Update: %d calls (want 2), query %v", put.calls, put.query)
	}
	out, err := c.MergePatch(ctx, widgetGVK, "ns", "w1", []byte(`{"metadata":{"labels":{"a":"b"}}}`), WriteOptions{})
	if err != nil || out.GetResourceVersion() != "9" {
		t.Fatalf("MergePatch: %v, %v", out, err)
	}
	if patch.calls != 2 || patch.contentType != "application/merge-patch+json" || string(patch.body) != `{"metadata":{"labels":{"a":"b"}}}` {
		t.Errorf("MergePatch: %d calls, Content-Type %q, body %s", patch.calls, patch.contentType, patch.body)
	}
}

var widgetGR = widgetGVK.GroupVersion().WithResource("widgets").GroupResource()

func TestCreateExistingAndForbiddenAreTranslated(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("POST", widgetsPath, func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewAlreadyExists(widgetGR, "w1"))
	})
	f.on("PUT", widgetsPath+"/w1", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewForbidden(widgetGR, "w1", errors.New(`User "bob" cannot update resource "widgets" in API group "example.com" in the namespace "ns"`)))
	})
	c := f.client()
	obj := &unstructured.Unstructured{Object: widget("w1", "", 0, 0, "")}
	_, err := c.Create(context.Background(), obj, WriteOptions{})
	if !IsAlreadyExists(err) || f.count("POST", widgetsPath) != 1 {
		t.Errorf("want one AlreadyExists, not retried: %v (%d calls)", err, f.count("POST", widgetsPath))
	}
	_, err = c.Update(context.Background(), obj, WriteOptions{})
	assertContains(t, err, `User "bob" may not update widgets.example.com "w1" in namespace "ns"`, `Grant the verb "update"`)
}

// An apply that would create the object is checked by RBAC as patch and
// then as create; the message names the verb that was refused.
func TestApplyForbiddenNamesTheRefusedVerb(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("PATCH", widgetsPath+"/w1", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewForbidden(widgetGR, "w1", errors.New(`User "bob" cannot create resource "widgets" in API group "example.com" in the namespace "ns"`)))
	})
	_, err := f.client().Apply(context.Background(), &unstructured.Unstructured{Object: widget("w1", "", 0, 0, "")}, ApplyOptions{})
	assertContains(t, err, `User "bob" may not create widgets.example.com "w1"`, "a server-side apply needs patch, and also create when the object does not exist yet",
		`Grant the verb "create" on resource "widgets"`)
}
