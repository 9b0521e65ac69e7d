package kube

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

// fakeAPI is a tiny Kubernetes API server for unit tests: it serves legacy
// discovery from a mutable resource table and hands every other request to
// handlers registered per method and path. Real client-go code talks to it,
// so the tests exercise the same request paths as production.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu            sync.Mutex
	resources     map[string][]metav1.APIResource // "group/version" -> resources
	discoveryHits int                             // GETs of /apis, i.e. full discovery fetches
	routes        map[string]http.HandlerFunc     // "METHOD /path"
	calls         map[string]int                  // "METHOD /path" -> count
	watchRVs      []string                        // resourceVersion of every watch request
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{
		t:         t,
		resources: map[string][]metav1.APIResource{},
		routes:    map[string]http.HandlerFunc{},
		calls:     map[string]int{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a Client for the fake server with a fast backoff.
func (f *fakeAPI) client() *Client {
	return NewForConfig(&rest.Config{Host: f.srv.URL}, Options{RetryBackoff: fastBackoff})
}

var fastBackoff = wait.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 5, Cap: 10 * time.Millisecond}

var widgetGVK = schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}

const widgetsPath = "/apis/example.com/v1/namespaces/ns/widgets"

func (f *fakeAPI) serveKind(gv string, res metav1.APIResource) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resources[gv] = append(f.resources[gv], res)
}

func (f *fakeAPI) serveWidgets() {
	f.serveKind("example.com/v1", metav1.APIResource{Name: "widgets", Kind: "Widget", Namespaced: true,
		Verbs: metav1.Verbs{"get", "list", "watch", "patch", "delete"}})
}

func (f *fakeAPI) on(method, path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[method+" "+path] = h
}

func (f *fakeAPI) count(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method+" "+path]
}

// watches lists the resourceVersion of every watch request, comma-separated.
func (f *fakeAPI) watches() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.watchRVs, ",")
}

func (f *fakeAPI) hits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.discoveryHits
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && f.serveDiscovery(w, r) {
		return
	}
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.calls[key]++
	if r.URL.Query().Get("watch") == "true" {
		f.watchRVs = append(f.watchRVs, r.URL.Query().Get("resourceVersion"))
	}
	h := f.routes[key]
	f.mu.Unlock()
	if h == nil {
		writeStatus(w, apierrors.NewNotFound(schema.GroupResource{}, ""))
		return
	}
	h(w, r)
}

func (f *fakeAPI) serveDiscovery(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch p := r.URL.Path; {
	case p == "/api":
		writeJSON(w, http.StatusOK, &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}}})
	case p == "/api/v1":
		writeJSON(w, http.StatusOK, &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList"}, GroupVersion: "v1"})
	case p == "/apis":
		f.discoveryHits++
		writeJSON(w, http.StatusOK, f.groupList())
	case strings.HasPrefix(p, "/apis/") && strings.Count(p, "/") == 3:
		gv := strings.TrimPrefix(p, "/apis/")
		writeJSON(w, http.StatusOK, &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList"},
			GroupVersion: gv, APIResources: f.resources[gv]})
	case p == "/version":
		writeJSON(w, http.StatusOK, map[string]string{"gitVersion": "v1.34.4", "major": "1", "minor": "34"})
	default:
		return false
	}
	return true
}

func (f *fakeAPI) groupList() *metav1.APIGroupList {
	list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList"}}
	var gvs []string
	for gv := range f.resources {
		gvs = append(gvs, gv)
	}
	sort.Strings(gvs)
	for _, gv := range gvs {
		g, v, _ := strings.Cut(gv, "/")
		ver := metav1.GroupVersionForDiscovery{GroupVersion: gv, Version: v}
		list.Groups = append(list.Groups, metav1.APIGroup{Name: g, Versions: []metav1.GroupVersionForDiscovery{ver}, PreferredVersion: ver})
	}
	return list
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, err *apierrors.StatusError) {
	st := err.ErrStatus
	st.Kind, st.APIVersion = "Status", "v1"
	writeJSON(w, int(st.Code), &st)
}

// watchStream starts a watch response; send writes one event and flushes.
func watchStream(w http.ResponseWriter) (send func(typ watch.EventType, obj any)) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	enc := json.NewEncoder(w)
	return func(typ watch.EventType, obj any) {
		raw, _ := json.Marshal(obj)
		_ = enc.Encode(&metav1.WatchEvent{Type: string(typ), Object: runtime.RawExtension{Raw: raw}})
		w.(http.Flusher).Flush()
	}
}

// widget builds a Widget object as the API server would return it.
func widget(name, rv string, generation, observed int64, ready string) map[string]any {
	obj := map[string]any{
		"apiVersion": "example.com/v1",
		"kind":       "Widget",
		"metadata": map[string]any{
			"name": name, "namespace": "ns", "resourceVersion": rv, "generation": generation,
		},
	}
	if observed > 0 || ready != "" {
		status := map[string]any{}
		if observed > 0 {
			status["observedGeneration"] = observed
		}
		if ready != "" {
			status["conditions"] = []any{map[string]any{"type": "Ready", "status": ready, "reason": "Testing", "message": "ready is " + ready}}
		}
		obj["status"] = status
	}
	return obj
}

func widgetList(rv string, items ...map[string]any) map[string]any {
	list := make([]any, len(items))
	for i := range items {
		list[i] = items[i]
	}
	return map[string]any{
		"apiVersion": "example.com/v1", "kind": "WidgetList",
		"metadata": map[string]any{"resourceVersion": rv}, "items": list,
	}
}

var gadgetGVK = schema.GroupVersionKind{Group: "other.io", Version: "v1", Kind: "Gadget"}

var gadgetResource = metav1.APIResource{Name: "gadgets", Kind: "Gadget", Namespaced: false, Verbs: metav1.Verbs{"get", "list"}}

// restConfigForNoServer points at an address nothing listens on; tests that
// use it must fail before any request.
var restConfigForNoServer = rest.Config{Host: "https://127.0.0.1:1"}
