package platform

import (
	"context"
	"embed"
	"fmt"
	"path"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// crdFiles are Kratix's CRDs, written for this platform from the API
// reference so that the provider never imports the Kratix module.
//
//go:embed crds/*.yaml
var crdFiles embed.FS

// crdFieldManager owns the CRDs on the platform; force lets a newer test
// binary take over fields an older run applied.
const crdFieldManager = "kratix-platform"

var crdGVR = schema.GroupVersionResource{
	Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions",
}

// KratixCRDs returns the embedded CRDs, sorted by name so that installs and
// test output are deterministic.
func KratixCRDs() ([]*unstructured.Unstructured, error) {
	names, err := crdFileNames()
	if err != nil {
		return nil, err
	}
	crds := make([]*unstructured.Unstructured, 0, len(names))
	for _, name := range names {
		crd, err := parseCRD(name)
		if err != nil {
			return nil, err
		}
		crds = append(crds, crd)
	}
	sort.Slice(crds, func(i, j int) bool { return crds[i].GetName() < crds[j].GetName() })
	return crds, nil
}

func crdFileNames() ([]string, error) {
	entries, err := crdFiles.ReadDir("crds")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, path.Join("crds", e.Name()))
	}
	return names, nil
}

// parseCRD goes YAML → JSON → unstructured so that integers stay int64
// (unmarshalling YAML straight into a map would make them float64).
func parseCRD(name string) (*unstructured.Unstructured, error) {
	raw, err := crdFiles.ReadFile(name)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	crd := &unstructured.Unstructured{}
	if err := crd.UnmarshalJSON(js); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if crd.GetKind() != "CustomResourceDefinition" || crd.GetName() == "" {
		return nil, fmt.Errorf("%s: not a named CustomResourceDefinition (kind %q)", name, crd.GetKind())
	}
	return crd, nil
}

// InstallCRDs server-side-applies every Kratix CRD and waits until all are
// Established, because creating a custom object before that returns 404.
func InstallCRDs(ctx context.Context, cfg *rest.Config) error {
	crds, err := KratixCRDs()
	if err != nil {
		return err
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 { // client-go's default of 5 QPS would add seconds here
		cfg.QPS, cfg.Burst = 50, 100
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	res := client.Resource(crdGVR)
	opts := metav1.ApplyOptions{FieldManager: crdFieldManager, Force: true}
	for _, crd := range crds {
		if _, err := res.Apply(ctx, crd.GetName(), crd, opts); err != nil {
			return fmt.Errorf("applying CRD %s: %w", crd.GetName(), err)
		}
	}
	return waitEstablished(ctx, res, crds)
}

// waitEstablished polls: establishing takes well under a second on a local
// API server, so a watch per CRD would only add code.
func waitEstablished(ctx context.Context, res dynamic.ResourceInterface, crds []*unstructured.Unstructured) error {
	for _, crd := range crds {
		name := crd.GetName()
		var lastErr error
		err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			got, err := res.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				lastErr = err
				return false, nil //nolint:nilerr // keep polling: the CRD may not be readable yet
			}
			return crdEstablished(got)
		})
		if err != nil {
			return fmt.Errorf("waiting for CRD %s to be Established: %w (last get error: %v)", name, err, lastErr)
		}
	}
	return nil
}

// crdEstablished reports Established=True. NamesAccepted=False is an error
// at once: a name clash never heals, so waiting out ctx would only hide it.
func crdEstablished(crd *unstructured.Unstructured) (bool, error) {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		switch {
		case m["type"] == "Established" && m["status"] == "True":
			return true, nil
		case m["type"] == "NamesAccepted" && m["status"] == "False":
			return false, fmt.Errorf("names not accepted: %v", m["message"])
		}
	}
	return false, nil
}
