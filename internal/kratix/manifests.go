package kratix

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Manifests are the documents of a Kratix YAML file, grouped the way the
// provider's resources take them.
type Manifests struct {
	// Promises, Destinations, GitStateStores and BucketStateStores are the
	// platform.kratix.io objects of those kinds, by name.
	Promises          map[string]map[string]any
	Destinations      map[string]map[string]any
	GitStateStores    map[string]map[string]any
	BucketStateStores map[string]map[string]any
	// Others are every other object (resource requests among them), by
	// "<kind>/<name>", or "<kind>/<namespace>/<name>" when the document
	// sets a namespace.
	Others map[string]map[string]any
}

// DecodeManifests splits a YAML (or JSON) stream of Kubernetes objects.
// Empty documents are skipped; a document without kind or metadata.name,
// or two documents with the same key, are errors naming the document.
func DecodeManifests(text string) (*Manifests, error) {
	m := &Manifests{
		Promises: map[string]map[string]any{}, Destinations: map[string]map[string]any{},
		GitStateStores: map[string]map[string]any{}, BucketStateStores: map[string]map[string]any{},
		Others: map[string]map[string]any{},
	}
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(text), 4096)
	for doc := 1; ; doc++ {
		var obj map[string]any
		err := decoder.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d is not valid YAML: %w", doc, err)
		}
		if len(obj) == 0 {
			continue
		}
		if err := m.add(obj); err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
	}
}

func (m *Manifests) add(obj map[string]any) error {
	u := unstructured.Unstructured{Object: obj}
	kind, name := u.GetKind(), u.GetName()
	if kind == "" || name == "" {
		return errors.New("it has no kind or no metadata.name, so it is not a Kubernetes object")
	}
	group, key := strings.SplitN(u.GetAPIVersion(), "/", 2)[0], name
	target := m.Others
	switch {
	case group == Group && kind == "Promise":
		target = m.Promises
	case group == Group && kind == "Destination":
		target = m.Destinations
	case group == Group && kind == "GitStateStore":
		target = m.GitStateStores
	case group == Group && kind == "BucketStateStore":
		target = m.BucketStateStores
	default:
		key = kind + "/" + name
		if ns := u.GetNamespace(); ns != "" {
			key = kind + "/" + ns + "/" + name
		}
	}
	if _, dup := target[key]; dup {
		return fmt.Errorf("%s %q appears twice", kind, key)
	}
	target[key] = obj
	return nil
}
