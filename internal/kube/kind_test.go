package kube

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/watch"
)

const crdsPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

func crd(rv, established string, servedVersions ...string) map[string]any {
	versions := []any{}
	for _, v := range servedVersions {
		versions = append(versions, map[string]any{"name": v, "served": true, "storage": true})
	}
	conds := []any{map[string]any{"type": "NamesAccepted", "status": "True", "reason": "NoConflicts"}}
	if established != "" {
		conds = append(conds, map[string]any{"type": "Established", "status": established, "reason": "Installing"})
	}
	return map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets.example.com", "resourceVersion": rv},
		"spec": map[string]any{
			"group": "example.com", "names": map[string]any{"kind": "Widget", "plural": "widgets"},
			"scope": "Namespaced", "versions": versions,
		},
		"status": map[string]any{"conditions": conds},
	}
}

func crdList(rv string, items ...map[string]any) map[string]any {
	l := widgetList(rv, items...)
	l["apiVersion"], l["kind"] = "apiextensions.k8s.io/v1", "CustomResourceDefinitionList"
	return l
}

func crdListOrWatch(list, watchH http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("watch") == "true" {
			watchH(w, r)
			return
		}
		list(w, r)
	}
}

// TestWaitForKindFollowsTheCRD: the kind is unknown, its CRD appears, becomes
// Established, discovery starts serving it, and the mapping is returned.
func TestWaitForKindFollowsTheCRD(t *testing.T) {
	f := newFakeAPI(t)
	f.serveKind("other.io/v1", gadgetResource)
	f.on("GET", crdsPath, crdListOrWatch(
		respond(crdList("5")),
		sequence(t, func(w http.ResponseWriter, r *http.Request) {
			send := watchStream(w)
			send(watch.Added, crd("6", "", "v1"))
			time.Sleep(20 * time.Millisecond)
			f.serveWidgets() // the API server publishes the kind as the CRD is established
			send(watch.Modified, crd("7", "True", "v1"))
			<-r.Context().Done() // as a real server does, until the client stops watching
		}),
	))
	m, err := f.client().WaitForKind(withTimeout(t, 10*time.Second), widgetGVK)
	if err != nil {
		t.Fatal(err)
	}
	if m.Resource.Resource != "widgets" {
		t.Errorf("mapping %+v", m.Resource)
	}
	if n := f.count("GET", crdsPath); n != 2 {
		t.Errorf("CRDs requested %d times, want one list and one watch", n)
	}
}

func TestWaitForKindServedAlready(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	if _, err := f.client().WaitForKind(withTimeout(t, 10*time.Second), widgetGVK); err != nil {
		t.Fatal(err)
	}
	if n := f.count("GET", crdsPath); n != 0 {
		t.Errorf("CRDs were read %d times although discovery serves the kind", n)
	}
}

func TestWaitForKindTimeoutSaysWhatIsMissing(t *testing.T) {
	cases := map[string]struct {
		list map[string]any
		want string
	}{
		"no CRD":          {crdList("5"), `no CustomResourceDefinition with spec.group "example.com" and spec.names.kind "Widget" exists`},
		"not established": {crdList("5", crd("5", "False", "v1")), `"widgets.example.com" exists but is not Established`},
		"wrong version":   {crdList("5", crd("5", "True", "v1beta1")), `does not serve version "v1" (served: v1beta1)`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.serveKind("other.io/v1", gadgetResource)
			f.on("GET", crdsPath, crdListOrWatch(respond(tc.list), hang))
			_, err := f.client().WaitForKind(withTimeout(t, 300*time.Millisecond), widgetGVK)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("want a deadline error, got %v", err)
			}
			assertContains(t, err, "waiting for kind Widget (example.com/v1) to be served", tc.want)
			if strings.Contains(err.Error(), "discovery does not list") {
				t.Errorf("the wait moved on to discovery before the CRD was ready: %v", err)
			}
		})
	}
}

// TestWaitForKindWithoutCRDAccess: users who may not read CRDs still get a
// working wait, driven by discovery alone.
func TestWaitForKindWithoutCRDAccess(t *testing.T) {
	f := newFakeAPI(t)
	f.serveKind("other.io/v1", gadgetResource)
	f.on("GET", crdsPath, func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, apierrors.NewForbidden(crdGVR.GroupResource(), "", errors.New("no")))
	})
	go func() {
		time.Sleep(50 * time.Millisecond)
		f.serveWidgets()
	}()
	if _, err := f.client().WaitForKind(withTimeout(t, 10*time.Second), widgetGVK); err != nil {
		t.Fatal(err)
	}
}
