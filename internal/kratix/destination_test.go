package kratix

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func destination(name string, generation int64, spec map[string]any, conditions ...map[string]any) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": Group + "/" + Version, "kind": "Destination",
		"metadata": map[string]any{"name": name, "generation": generation},
		"spec":     spec,
	}}
	if len(conditions) > 0 {
		raw := make([]any, len(conditions))
		for i, c := range conditions {
			raw[i] = c
		}
		obj.Object["status"] = map[string]any{"conditions": raw}
	}
	return obj
}

func gitSpec(path, store string) map[string]any {
	return map[string]any{"path": path, "stateStoreRef": map[string]any{"kind": GitStateStoreKind, "name": store}}
}

func withGeneration(c map[string]any, g int64) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	out["observedGeneration"] = g
	return out
}

func TestDestinationWatch(t *testing.T) {
	spec := gitSpec("dev", "default")
	ready := cond(CondReady, "True", ReasonTestDocumentsWritten, "Test documents written to State Store", 0)
	notFound := cond(CondReady, "False", ReasonStateStoreNotFound, "GitStateStore/default: not found", 0)
	initial := cond(CondReady, "False", ReasonDestinationNotReady, "Destination is not ready", 0)
	storeNotReady := cond(CondReady, "False", ReasonStateStoreNotReady, "state store is not ready", 0)

	tests := []struct {
		name    string
		gen     int64
		obj     *unstructured.Unstructured
		want    State
		summary string
	}{
		{"not found", 1, nil, Waiting, "does not exist"},
		{"no status", 1, destination("d", 1, spec), Waiting, "waiting for Kratix to report"},
		{"initial not ready", 1, destination("d", 1, spec, initial), Waiting, "DestinationNotReady"},
		{"ready", 1, destination("d", 1, spec, ready), Done, "TestDocumentsWritten"},
		{"ready without init workloads", 1, destination("d", 1, spec, cond(CondReady, "True", ReasonDestinationReady, "Destination is ready", 0)), Done, ""},
		{"store not found fails", 1, destination("d", 1, spec, notFound), Failed, "GitStateStore/default: not found"},
		{"store not ready fails", 1, destination("d", 1, spec, storeNotReady), Failed, ReasonStateStoreNotReady},
		{"write failed fails", 1, destination("d", 1, spec, cond(CondReady, "False", ReasonStateStoreWriteFailed, "push rejected", 0)), Failed, "push rejected"},
		{"lost write race waits (git CLI, Kratix 2026)", 1, destination("d", 1, spec, cond(CondReady, "False", ReasonStateStoreWriteFailed,
			"failed to push: `git push origin main` failed exit status 1: ! [rejected] main -> main (fetch first)", 0)), Waiting, "try again"},
		{"stale ready ignored", 2, destination("d", 2, spec, withGeneration(ready, 1)), Waiting, "waiting for generation 2"},
		{"stale failure ignored", 2, destination("d", 2, spec, withGeneration(notFound, 1)), Waiting, "generation 1"},
		{"current ready", 2, destination("d", 2, spec, withGeneration(ready, 2)), Done, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := DestinationWatch{ReadyWatch{Generation: tt.gen}}
			got := w.Observe(tt.obj)
			if got.State != tt.want || !strings.Contains(got.Summary, tt.summary) {
				t.Fatalf("Observe = %v %q, want %v containing %q", got.State, got.Summary, tt.want, tt.summary)
			}
		})
	}
}

func TestDestinationAdvice(t *testing.T) {
	tests := []struct {
		reason, message string
		want            string
	}{
		{ReasonStateStoreNotFound, "m", "kratix_git_state_store"},
		{ReasonStateStoreNotReady, "m", "kubectl get gitstatestore default"},
		{ReasonStateStoreWriteFailed, "m", `path "dev"`},
		{ReasonDestinationNotReady, "m", ""},
		{ReasonStateStoreWriteFailed, "push failed: non-fast-forward update: refs/heads/main", "another write to the same branch"},
		// What Kratix releases of 2025 report instead of the two reasons above.
		{ReasonStateStoreWriteFailed, `Failed to write test documents to State Store: GitStateStore.platform.kratix.io "default" not found`, "kratix_git_state_store"},
		{ReasonStateStoreWriteFailed, `Failed to write test documents to State Store: secret "creds" not found in namespace "default"`, "kubectl get gitstatestore default"},
		{ReasonStateStoreWriteFailed, `Failed to write test documents to State Store: GitStateStore.platform.kratix.io "other" not found`, `path "dev"`},
	}
	for _, tt := range tests {
		obj := destination("d", 1, gitSpec("dev", "default"), cond(CondReady, "False", tt.reason, tt.message, 0))
		got := DestinationAdvice(obj)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("DestinationAdvice(%s: %s) = %q, want it to contain %q", tt.reason, tt.message, got, tt.want)
		}
	}
}

func TestSummariseDestination(t *testing.T) {
	obj := destination("dev", 1, gitSpec("clusters/dev", "repo"), cond(CondReady, "True", ReasonTestDocumentsWritten, "ok", 0))
	obj.SetLabels(map[string]string{"environment": "dev"})
	s := SummariseDestination(obj)
	if s.Name != "dev" || s.Path != "clusters/dev" || s.StateStore != (StateStoreRef{GitStateStoreKind, "repo"}) ||
		!s.Readiness.Ready || s.Labels["environment"] != "dev" {
		t.Fatalf("unexpected summary %+v", s)
	}
	if s.StateStore.String() != "GitStateStore/repo" {
		t.Fatalf("String() = %q", s.StateStore.String())
	}
}

func TestDestinationPathConflict(t *testing.T) {
	store := StateStoreRef{GitStateStoreKind, "repo"}
	deleting := destination("going", 1, gitSpec("dev", "repo"))
	now := metav1.Now()
	deleting.SetDeletionTimestamp(&now)
	others := []*unstructured.Unstructured{
		destination("dev", 1, gitSpec("/dev/", "repo")),
		destination("root", 1, gitSpec(".", "repo")),
		destination("other-store", 1, gitSpec("prod", "elsewhere")),
		deleting,
	}
	tests := []struct {
		name, path string
		store      StateStoreRef
		want       string
	}{
		{"new", "dev", store, "dev"},
		{"itself", "dev", store, ""}, // name "dev" is this Destination
		{"root forms", "/", store, "root"},
		{"different store", "prod", store, ""},
		{"same path other kind", "dev", StateStoreRef{BucketStateStoreKind, "repo"}, ""},
		{"deleting ones do not count", "other", store, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "new-one"
			if tt.name == "itself" {
				name = "dev"
			}
			if got := DestinationPathConflict(name, tt.path, tt.store, others); got != tt.want {
				t.Fatalf("DestinationPathConflict(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestNormaliseDestinationPath(t *testing.T) {
	for in, want := range map[string]string{"": ".", ".": ".", "/": ".", "./": ".", "a/b/": "a/b", "/a//b": "a/b", "a/./b": "a/b"} {
		if got := NormaliseDestinationPath(in); got != want {
			t.Errorf("NormaliseDestinationPath(%q) = %q, want %q", in, got, want)
		}
	}
}
