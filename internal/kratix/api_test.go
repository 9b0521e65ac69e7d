package kratix

import (
	"strings"
	"testing"
)

func crdAPI(apiVersion, kind, scope string) map[string]any {
	return map[string]any{
		"apiVersion": apiVersion, "kind": kind,
		"metadata": map[string]any{"name": "databases.example.org"},
		"spec": map[string]any{
			"group": "example.org", "scope": scope,
			"names": map[string]any{"kind": "Database", "plural": "databases"},
		},
	}
}

func TestValidatePromiseAPI(t *testing.T) {
	cases := []struct {
		name     string
		api      map[string]any
		creating bool
		want     string // substring of the problem; "" means valid
	}{
		{"valid", crdAPI("apiextensions.k8s.io/v1", "CustomResourceDefinition", "Namespaced"), true, ""},
		// Kratix decodes into v1 whatever the apiVersion (kubeflow-pipelines in the marketplace).
		{"other apiVersion", crdAPI("apiextensions.k8s.io/v1alpha1", "CustomResourceDefinition", "Namespaced"), true, ""},
		{"wrong kind", crdAPI("apiextensions.k8s.io/v1", "ConfigMap", "Namespaced"), true, "not a ConfigMap"},
		{"cluster scope on create", crdAPI("apiextensions.k8s.io/v1", "CustomResourceDefinition", "Cluster"), true, "Namespaced"},
		{"cluster scope on update", crdAPI("apiextensions.k8s.io/v1", "CustomResourceDefinition", "Cluster"), false, ""},
		{"nil", nil, true, "CustomResourceDefinition object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ValidatePromiseAPI(tc.api, tc.creating)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("ValidatePromiseAPI() = %q, want %q", got, tc.want)
			}
		})
	}
	wrongName := crdAPI("apiextensions.k8s.io/v1", "CustomResourceDefinition", "Namespaced")
	wrongName["metadata"] = map[string]any{"name": "dbs.example.org"}
	if got := ValidatePromiseAPI(wrongName, true); !strings.Contains(got, `"databases.example.org"`) {
		t.Fatalf("a misnamed CRD should name the right name, got %q", got)
	}
}
