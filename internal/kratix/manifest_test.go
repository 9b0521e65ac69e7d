package kratix

import (
	"reflect"
	"strings"
	"testing"
)

const promiseYAML = `apiVersion: platform.kratix.io/v1alpha1
kind: Promise
metadata:
  name: redis
  namespace: default
  uid: 1234
  creationTimestamp: null
  labels:
    kratix.io/promise-version: v0.1.0
    team: data
spec:
  api: {apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition}
  dependencies: [{apiVersion: v1, kind: Namespace}]
  workflows:
    config: {pipelineNamespace: pipelines, reconciliationInterval: 1h}
    reconcileAfterFailure: true
    resource: {configure: []}
  destinationSelectors:
    - matchLabels: {environment: dev}
  requiredPromises:
    - {name: postgres, version: v1.0.0}
    - {name: s3}
status: {conditions: []}
`

func TestParsePromiseManifest(t *testing.T) {
	doc, err := DecodeManifest(promiseYAML)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePromiseManifest(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := PromiseManifest{
		Name: "redis", Version: "v0.1.0", Labels: map[string]string{"team": "data"},
		API:                    map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"},
		Dependencies:           []any{map[string]any{"apiVersion": "v1", "kind": "Namespace"}},
		Workflows:              map[string]any{"reconcileAfterFailure": true, "resource": map[string]any{"configure": []any{}}},
		DestinationSelectors:   []map[string]string{{"environment": "dev"}},
		RequiredPromises:       []RequiredPromise{{"postgres", "v1.0.0"}, {"s3", ""}},
		PipelineNamespace:      "pipelines",
		ReconciliationInterval: "1h",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}

func TestParsePromiseManifestLeavesAbsentPartsZero(t *testing.T) {
	doc, err := DecodeManifest("apiVersion: platform.kratix.io/v1alpha1\nkind: Promise\nmetadata: {name: bare, labels: {kratix.io/promise-version: v1}}\nspec:\n  workflows: {config: {}}\n")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePromiseManifest(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := (PromiseManifest{Name: "bare", Version: "v1"}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestPromiseManifestErrors(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"not a Promise":       {strings.Replace(promiseYAML, "kind: Promise", "kind: Destination", 1), "is a Destination"},
		"no name":             {strings.Replace(promiseYAML, "  name: redis\n", "", 1), "no metadata.name"},
		"unknown spec":        {strings.Replace(promiseYAML, "spec:\n", "spec:\n  extra: 1\n", 1), "cannot carry: extra"},
		"unknown config":      {strings.Replace(promiseYAML, "config: {", "config: {other: x, ", 1), "spec.workflows.config has fields kratix_promise cannot carry: other"},
		"number label":        {strings.Replace(promiseYAML, "team: data", "team: 3", 1), `metadata.labels["team"] must be a string`},
		"bad selector":        {strings.Replace(promiseYAML, "- matchLabels: {environment: dev}", "- matchLabels: dev", 1), "matchLabels must be a map of strings"},
		"unnamed requirement": {strings.Replace(promiseYAML, "- {name: s3}", "- {version: v1}", 1), "spec.requiredPromises[1] has no name"},
	} {
		t.Run(name, func(t *testing.T) {
			doc, err := DecodeManifest(tc.yaml)
			if err == nil {
				_, err = ParsePromiseManifest(doc)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestDecodeManifest(t *testing.T) {
	for name, tc := range map[string]struct{ yaml, want string }{
		"several documents": {"a: 1\n---\nb: 2\n", "holds 2 YAML documents"},
		"empty":             {"# nothing\n---\n", "empty"},
		"a list":            {"- a\n", "not a YAML object"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeManifest(tc.yaml); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// A leading separator and comments make one document, and integers
	// stay integers.
	doc, err := DecodeManifest("---\n# a request\nspec: {replicas: 3, ratio: 0.5}\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"spec": map[string]any{"replicas": int64(3), "ratio": 0.5}}; !reflect.DeepEqual(doc, want) {
		t.Errorf("got %#v, want %#v", doc, want)
	}
}

func TestParseRequestManifest(t *testing.T) {
	doc, err := DecodeManifest("apiVersion: marketplace.kratix.io/v1\nkind: redis\nmetadata:\n  name: cache\n  labels: {team: a}\nspec: {size: large}\nstatus: {message: x}\n")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseRequestManifest(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := RequestManifest{APIVersion: "marketplace.kratix.io/v1", Kind: "redis", Name: "cache", Labels: map[string]string{"team": "a"}, Spec: map[string]any{"size": "large"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	// As `kratix init` writes a request: the kind is left for the user.
	doc, err = DecodeManifest("apiVersion: marketplace.kratix.io/v1\nkind: # kind\nmetadata:\n  name: cache\nspec: {size: large}\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParseRequestManifest(doc); err != nil || got.Kind != "" || got.Name != "cache" {
		t.Errorf("blank kind: got %#v, %v; want the request with no kind", got, err)
	}
	for name, tc := range map[string]struct{ yaml, want string }{
		"a Promise":  {promiseYAML, "a Promise of Kratix itself"},
		"spec list":  {"apiVersion: a/v1\nkind: b\nmetadata: {name: a}\nspec: [1]\n", "spec must be an object"},
		"namespace?": {"apiVersion: a/v1\nkind: b\nmetadata: {name: a, namespace: 3}\n", "metadata.namespace must be a string"},
	} {
		t.Run(name, func(t *testing.T) {
			doc, err := DecodeManifest(tc.yaml)
			if err == nil {
				_, err = ParseRequestManifest(doc)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
