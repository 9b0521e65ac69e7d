package kratix

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// Every corpus promise.yaml decodes to one Promise, under its own name.
func TestDecodeManifestsCorpusPromises(t *testing.T) {
	files, err := filepath.Glob("../testdata/kratix-marketplace/*/promise.yaml")
	if err != nil || len(files) < 20 {
		t.Fatalf("corpus Promises: %d files, %v", len(files), err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var want struct {
			Metadata struct{ Name string } `json:"metadata"`
		}
		if err := yaml.Unmarshal(data, &want); err != nil {
			t.Fatal(err)
		}
		m, err := DecodeManifests(string(data))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if _, ok := m.Promises[want.Metadata.Name]; !ok || len(m.Promises) != 1 {
			t.Errorf("%s: want one Promise %q, got %d: %v", file, want.Metadata.Name, len(m.Promises), keys(m.Promises))
		}
	}
}

func TestDecodeManifestsGroupsByKind(t *testing.T) {
	m, err := DecodeManifests(`
apiVersion: platform.kratix.io/v1alpha1
kind: Destination
metadata: {name: worker-1, labels: {env: dev}}
spec: {stateStoreRef: {name: default, kind: GitStateStore}}
---
---
apiVersion: platform.kratix.io/v1alpha1
kind: GitStateStore
metadata: {name: default}
spec: {url: "https://example.com/state.git"}
---
apiVersion: platform.kratix.io/v1alpha1
kind: BucketStateStore
metadata: {name: minio}
spec: {bucketName: kratix, endpoint: "minio:9000"}
---
apiVersion: marketplace.kratix.io/v1alpha1
kind: redis
metadata: {name: example, namespace: team-a}
spec: {size: small}
---
apiVersion: marketplace.kratix.io/v1alpha1
kind: redis
metadata: {name: example}
spec: {size: large}
`)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join([]string{
		strings.Join(keys(m.Destinations), ","), strings.Join(keys(m.GitStateStores), ","),
		strings.Join(keys(m.BucketStateStores), ","), strings.Join(keys(m.Others), ","), strings.Join(keys(m.Promises), ","),
	}, " | ")
	if want := "worker-1 | default | minio | redis/example,redis/team-a/example | "; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if size := m.Others["redis/team-a/example"]["spec"].(map[string]any)["size"]; size != "small" {
		t.Errorf("request spec: %v", size)
	}
}

func TestDecodeManifestsErrors(t *testing.T) {
	for text, want := range map[string]string{
		"kind: Promise\napiVersion: platform.kratix.io/v1alpha1\nmetadata: {name: a}\n---\nkind: Promise\napiVersion: platform.kratix.io/v1alpha1\nmetadata: {name: a}\n": `document 2: Promise "a" appears twice`,
		"apiVersion: v1\nmetadata: {name: a}\n":      "document 1: it has no kind",
		"kind: Namespace\napiVersion: v1\nspec: [\n": "document 1 is not valid YAML",
	} {
		_, err := DecodeManifests(text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", text, err, want)
		}
	}
}

func keys(m map[string]map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
