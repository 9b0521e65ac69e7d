package kube

import (
	"context"
	"errors"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// crdHub shares one list+watch of CustomResourceDefinitions among the
// WaitForKind calls of a Client. A kind's CRD is named <plural>.<group>,
// which the caller does not know, so the watch covers every CRD; an apply
// that creates a hundred requests of a new Promise would otherwise list and
// watch every CRD of the cluster a hundred times, and real clusters hold
// hundreds of large ones. The watch starts with the first waiter and stops
// when the last one leaves, so nothing runs between applies.
type crdHub struct {
	mu  sync.Mutex
	cur *crdSession // the running session that new waiters join; nil when none
}

// crdSession is one run of the shared list+watch. Its fields other than
// cancel are guarded by the hub's mutex.
type crdSession struct {
	cancel context.CancelFunc
	users  int

	crds    map[string]*unstructured.Unstructured // by name, trimmed; entries are never mutated
	listed  bool
	lastErr error // most recent transient failure
	ended   bool
	err     error         // why the list+watch ended
	changed chan struct{} // closed, then replaced, on every change
}

// crdView is what one waiter reads of the session.
type crdView struct {
	crd     *unstructured.Unstructured // the CRD that provides the kind, if any
	listed  bool
	ended   bool
	err     error
	lastErr error
	changed <-chan struct{}
}

// acquire joins the running session, or starts one with run when none is
// running (or the last one ended on an error, so a later waiter retries).
// The session outlives the ctx of the waiter that started it: it ends when
// release sees its last waiter leave. ctx's values (the logger) are kept.
func (h *crdHub) acquire(ctx context.Context, run func(ctx context.Context, s *crdSession)) *crdSession {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur == nil || h.cur.ended {
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		h.cur = &crdSession{cancel: cancel, crds: map[string]*unstructured.Unstructured{}, changed: make(chan struct{})}
		go run(sctx, h.cur)
	}
	h.cur.users++
	return h.cur
}

// release leaves s; the last waiter to leave stops its list+watch.
func (h *crdHub) release(s *crdSession) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.users--
	if s.users > 0 {
		return
	}
	s.cancel()
	if h.cur == s {
		h.cur = nil
	}
}

// notify wakes every waiter of s; the caller holds the hub's mutex.
func (s *crdSession) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (h *crdHub) replace(s *crdSession, items []unstructured.Unstructured) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.crds = make(map[string]*unstructured.Unstructured, len(items))
	for i := range items {
		s.crds[items[i].GetName()] = trimCRD(&items[i])
	}
	s.listed = true
	s.notify()
}

func (h *crdHub) event(s *crdSession, typ watch.EventType, obj *unstructured.Unstructured) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if typ == watch.Deleted {
		delete(s.crds, obj.GetName())
	} else {
		s.crds[obj.GetName()] = trimCRD(obj)
	}
	s.notify()
}

func (h *crdHub) transient(s *crdSession, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.lastErr = err
}

func (h *crdHub) end(s *crdSession, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		err = errors.New("the watch of CustomResourceDefinitions ended unexpectedly")
	}
	s.ended, s.err = true, err
	s.notify()
}

// view returns what the session knows of gvk's CRD. Should several CRDs
// claim the kind, a ready one wins, then the first by name, so every waiter
// describes the same one.
func (h *crdHub) view(s *crdSession, gvk schema.GroupVersionKind) crdView {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := crdView{listed: s.listed, ended: s.ended, err: s.err, lastErr: s.lastErr, changed: s.changed}
	for name, obj := range s.crds {
		st := crdState{gvk: gvk, crd: obj}
		switch {
		case !st.matches(obj):
		case st.ready():
			v.crd = obj
			return v
		case v.crd == nil || name < v.crd.GetName():
			v.crd = obj
		}
	}
	return v
}

// trimCRD keeps only what crdState reads: a CRD's schema can be megabytes,
// and the session holds every CRD of the cluster.
func trimCRD(obj *unstructured.Unstructured) *unstructured.Unstructured {
	group, _, _ := unstructured.NestedString(obj.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(obj.Object, "spec", "names", "kind")
	raw, _, _ := unstructured.NestedSlice(obj.Object, "spec", "versions")
	versions := make([]any, 0, len(raw))
	for _, item := range raw {
		m, _ := item.(map[string]any)
		versions = append(versions, map[string]any{"name": m["name"], "served": m["served"]})
	}
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	return &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": obj.GetName(), "resourceVersion": obj.GetResourceVersion()},
		"spec":     map[string]any{"group": group, "names": map[string]any{"kind": kind}, "versions": versions},
		"status":   map[string]any{"conditions": conds},
	}}
}
