package kube

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// patchRecorder captures the last PATCH request and answers with its body.
type patchRecorder struct {
	mu          sync.Mutex
	contentType string
	query       url.Values
	body        map[string]any
}

func (p *patchRecorder) handler(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	p.mu.Lock()
	p.contentType, p.query, p.body = r.Header.Get("Content-Type"), r.URL.Query(), body
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

func TestApplySendsServerSideApplyPatch(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	rec := &patchRecorder{}
	f.on("PATCH", "/apis/example.com/v1/namespaces/default/widgets/w1", rec.handler)

	in := &unstructured.Unstructured{Object: widget("w1", "", 0, 0, "")}
	in.SetNamespace("") // a namespaced kind without namespace goes to "default"
	in.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "someone"}})
	out, err := f.client().Apply(context.Background(), in, ApplyOptions{Force: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if out.GetName() != "w1" {
		t.Errorf("returned %v", out.Object)
	}
	if rec.contentType != "application/apply-patch+yaml" {
		t.Errorf("Content-Type %q, want application/apply-patch+yaml", rec.contentType)
	}
	if got := rec.query.Get("fieldManager"); got != DefaultFieldManager {
		t.Errorf("fieldManager %q", got)
	}
	if rec.query.Get("force") != "true" || rec.query.Get("dryRun") != "All" {
		t.Errorf("query %v: want force=true and dryRun=All", rec.query)
	}
	meta := rec.body["metadata"].(map[string]any)
	if _, ok := meta["managedFields"]; ok {
		t.Error("managedFields were sent")
	}
	if meta["namespace"] != "default" {
		t.Errorf("namespace in body %v, want default", meta["namespace"])
	}
	if len(in.GetManagedFields()) != 1 {
		t.Error("Apply modified the caller's object")
	}
}

func TestApplyClusterScopedDropsNamespace(t *testing.T) {
	f := newFakeAPI(t)
	f.serveKind("other.io/v1", gadgetResource)
	rec := &patchRecorder{}
	f.on("PATCH", "/apis/other.io/v1/gadgets/g1", rec.handler)
	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "other.io/v1", "kind": "Gadget",
		"metadata": map[string]any{"name": "g1", "namespace": "ignored"},
	}}
	if _, err := f.client().Apply(context.Background(), in, ApplyOptions{FieldManager: "tf"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec.body["metadata"].(map[string]any)["namespace"]; ok {
		t.Error("namespace sent for a cluster-scoped kind")
	}
	if rec.query.Get("fieldManager") != "tf" || rec.query.Has("force") && rec.query.Get("force") != "false" {
		t.Errorf("query %v", rec.query)
	}
}

func TestApplyConflictMessage(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("PATCH", widgetsPath+"/w1", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewApplyConflict([]metav1.StatusCause{{
			Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "kubectl-edit" using example.com/v1`, Field: ".spec.size",
		}}, `Apply failed with 1 conflict: conflict with "kubectl-edit" using example.com/v1: .spec.size`))
	})
	_, err := f.client().Apply(context.Background(), &unstructured.Unstructured{Object: widget("w1", "", 0, 0, "")}, ApplyOptions{})
	if !IsConflict(err) {
		t.Fatalf("want conflict, got %v", err)
	}
	assertContains(t, err, `.spec.size (owned by field manager "kubectl-edit")`, "force_conflicts = true")
	if n := f.count("PATCH", widgetsPath+"/w1"); n != 1 {
		t.Errorf("conflicting apply sent %d times, want 1", n)
	}
}

func TestApplyRejectsIncompleteObjects(t *testing.T) {
	c := NewForConfig(&restConfigForNoServer, Options{})
	for name, obj := range map[string]*unstructured.Unstructured{
		"nil":     nil,
		"no kind": {Object: map[string]any{"apiVersion": "v1", "metadata": map[string]any{"name": "x"}}},
		"no name": {Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}},
	} {
		if _, err := c.Apply(context.Background(), obj, ApplyOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestDeleteTreatsGoneAsSuccess(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("DELETE", widgetsPath+"/gone", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewNotFound(widgetsGR, "gone"))
	})
	f.on("DELETE", widgetsPath+"/w1", func(w http.ResponseWriter, r *http.Request) {
		var opts metav1.DeleteOptions
		_ = json.NewDecoder(r.Body).Decode(&opts)
		if opts.PropagationPolicy == nil || *opts.PropagationPolicy != metav1.DeletePropagationForeground {
			writeStatus(w, apierrors.NewBadRequest("propagationPolicy not sent"))
			return
		}
		writeJSON(w, http.StatusOK, widget("w1", "9", 1, 1, ""))
	})
	f.on("DELETE", widgetsPath+"/locked", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewForbidden(widgetsGR, "locked", io.EOF))
	})
	c := f.client()
	ctx := context.Background()
	fg := metav1.DeletePropagationForeground

	if err := c.Delete(ctx, widgetGVK, "ns", "w1", metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := c.Delete(ctx, widgetGVK, "ns", "gone", metav1.DeleteOptions{}); err != nil {
		t.Errorf("delete of a missing object: %v", err)
	}
	if err := c.Delete(ctx, gadgetGVK, "", "g", metav1.DeleteOptions{}); err != nil {
		t.Errorf("delete of an unserved kind: %v", err)
	}
	if err := c.Delete(ctx, widgetGVK, "ns", "locked", metav1.DeleteOptions{}); !IsForbidden(err) {
		t.Errorf("forbidden delete: %v", err)
	}
}

func TestListAndServerVersion(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", "/apis/example.com/v1/widgets", respond(widgetList("3",
		widget("a", "1", 1, 1, ""), widget("b", "2", 1, 1, ""))))
	c := f.client()
	list, err := c.List(context.Background(), widgetGVK, "", metav1.ListOptions{})
	if err != nil || len(list.Items) != 2 {
		t.Fatalf("list across namespaces: %v, %v", list, err)
	}
	v, err := c.ServerVersion(context.Background())
	if err != nil || v != "v1.34.4" {
		t.Errorf("ServerVersion = %q, %v", v, err)
	}
}

func TestApplyCreateOnlyRefusesAnExistingObject(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", "/apis/example.com/v1/namespaces/ns/widgets/taken", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, widget("taken", "7", 1, 1, "True"))
	})
	rec := &patchRecorder{}
	f.on("PATCH", "/apis/example.com/v1/namespaces/ns/widgets/taken", rec.handler)
	_, err := f.client().Apply(context.Background(), &unstructured.Unstructured{Object: widget("taken", "", 0, 0, "")}, ApplyOptions{CreateOnly: true})
	if !IsAlreadyExists(err) {
		t.Fatalf("got %v, want an AlreadyExists error", err)
	}
	if f.count("PATCH", "/apis/example.com/v1/namespaces/ns/widgets/taken") != 0 {
		t.Error("the existing object was patched")
	}
}

func TestApplyCreateOnlyCreatesAMissingObject(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	f.on("GET", "/apis/example.com/v1/namespaces/ns/widgets/new", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, apierrors.NewNotFound(schema.GroupResource{Group: "example.com", Resource: "widgets"}, "new"))
	})
	rec := &patchRecorder{}
	f.on("PATCH", "/apis/example.com/v1/namespaces/ns/widgets/new", rec.handler)
	if _, err := f.client().Apply(context.Background(), &unstructured.Unstructured{Object: widget("new", "", 0, 0, "")}, ApplyOptions{CreateOnly: true}); err != nil {
		t.Fatal(err)
	}
	if rec.contentType != "application/apply-patch+yaml" {
		t.Errorf("the missing object was not applied (Content-Type %q)", rec.contentType)
	}
}
