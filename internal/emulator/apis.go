package emulator

import (
	"context"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// promiseAPI is the request kind a Promise installed, and the informer
// that watches its requests (Kratix's per-Promise dynamic controller).
type promiseAPI struct {
	promise  string
	gvr      schema.GroupVersionResource
	kind     string
	informer cache.SharedIndexInformer
	stop     context.CancelFunc
}

type apiRegistry struct {
	mu        sync.RWMutex
	byPromise map[string]*promiseAPI
}

func newAPIRegistry() *apiRegistry {
	return &apiRegistry{byPromise: map[string]*promiseAPI{}}
}

func (r *apiRegistry) get(promise string) *promiseAPI {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byPromise[promise]
}

// forGroupKind finds the API serving a kind, for Jobs that name their
// parent by apiVersion and kind only.
func (r *apiRegistry) forGroupKind(gk schema.GroupKind) *promiseAPI {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, api := range r.byPromise {
		if api.gvr.Group == gk.Group && api.kind == gk.Kind {
			return api
		}
	}
	return nil
}

// remove stops the informer of a Promise's requests.
func (r *apiRegistry) remove(promise string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if api := r.byPromise[promise]; api != nil {
		api.stop()
		delete(r.byPromise, promise)
	}
}

func (r *apiRegistry) stopAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, api := range r.byPromise {
		api.stop()
		delete(r.byPromise, name)
	}
}

// watchRequests starts watching a Promise's requests once its CRD is
// established. It is idempotent for an unchanged kind.
func (e *Emulator) watchRequests(promise string, gvr schema.GroupVersionResource, kind string) {
	e.apis.mu.Lock()
	defer e.apis.mu.Unlock()
	if old := e.apis.byPromise[promise]; old != nil {
		if old.gvr == gvr && old.kind == kind {
			return
		}
		old.stop()
	}
	ctx, stop := context.WithCancel(e.runCtx)
	informer := dynamicinformer.NewFilteredDynamicInformer(e.dyn, gvr, "", 0, cache.Indexers{}, nil).Informer()
	_, _ = informer.AddEventHandler(handler(func(obj any) {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			e.requests.add(requestKey(promise, u.GetNamespace(), u.GetName()))
		}
	}))
	go informer.Run(ctx.Done())
	e.apis.byPromise[promise] = &promiseAPI{promise: promise, gvr: gvr, kind: kind, informer: informer, stop: stop}
	e.opts.Logf("promise %s: watching %s requests", promise, gvr.String())
}

// requestsOf lists a Promise's requests from its informer's cache.
func (e *Emulator) requestsOf(promise string) []*unstructured.Unstructured {
	api := e.apis.get(promise)
	if api == nil {
		return nil
	}
	var out []*unstructured.Unstructured
	for _, item := range api.informer.GetStore().List() {
		if u, ok := item.(*unstructured.Unstructured); ok {
			out = append(out, u)
		}
	}
	return out
}

func requestKey(promise, namespace, name string) string {
	return promise + "/" + namespace + "/" + name
}

func splitRequestKey(key string) (promise, namespace, name string) {
	parts := strings.SplitN(key, "/", 3)
	if len(parts) != 3 {
		return "", "", ""
	}
	return parts[0], parts[1], parts[2]
}

// splitKey splits a namespace/name key; a bare name is cluster-scoped.
func splitKey(key string) (namespace, name string) {
	if i := strings.IndexByte(key, '/'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}
