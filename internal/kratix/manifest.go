package kratix

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
)

// A manifest is a whole YAML document as users keep it in a repository (a
// promise.yaml, a resource request): the parts below split it into what
// the provider manages as separate arguments.

// DecodeManifest reads one YAML (or JSON) document. More than one document
// is an error: each object is one resource.
func DecodeManifest(text string) (map[string]any, error) {
	reader := k8syaml.NewYAMLReader(bufio.NewReader(strings.NewReader(text)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not valid YAML: %w", err)
		}
		if strings.TrimSpace(stripComments(string(doc))) != "" {
			docs = append(docs, doc)
		}
	}
	switch {
	case len(docs) == 0:
		return nil, errors.New("the manifest is empty")
	case len(docs) > 1:
		return nil, fmt.Errorf("the manifest holds %d YAML documents; it must hold one object: split the file, or "+
			"take it apart with provider::kratix::decode_manifests(file(...)) and give manifest one of its values, "+
			"e.g. for_each = ....promises with manifest = each.value", len(docs))
	}
	var out map[string]any
	if err := k8syaml.Unmarshal(docs[0], &out); err != nil {
		return nil, fmt.Errorf("not a YAML object: %w", err)
	}
	return out, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			b.WriteString(line)
		}
	}
	return b.String()
}

// RequiredPromise is one entry of a Promise's spec.requiredPromises.
type RequiredPromise struct{ Name, Version string }

// PromiseManifest is a promise.yaml split along the provider's arguments.
// Absent parts are zero: nil maps, slices and values, empty strings.
type PromiseManifest struct {
	Name                string
	Version             string // the kratix.io/promise-version label
	Labels, Annotations map[string]string
	// API, Workflows and Dependencies are JSON-shaped values; Workflows
	// without its config block, which has fields of its own below.
	API, Workflows, Dependencies any
	DestinationSelectors         []map[string]string // nil when absent; match labels per selector
	RequiredPromises             []RequiredPromise   // nil when absent
	PipelineNamespace            string
	ReconciliationInterval       string
}

// promiseSpecFields are the spec fields a Promise manifest may carry.
var promiseSpecFields = []string{"api", "workflows", "dependencies", "destinationSelectors", "requiredPromises"}

// ParsePromiseManifest splits a decoded promise.yaml. Metadata other than
// name, labels and annotations (namespace, uid, creationTimestamp, ...)
// and status are what a cluster adds, and are ignored.
func ParsePromiseManifest(doc map[string]any) (PromiseManifest, error) {
	var m PromiseManifest
	if apiVersion, kind := str(doc["apiVersion"]), str(doc["kind"]); apiVersion != PromiseGVK.GroupVersion().String() || kind != PromiseGVK.Kind {
		return m, fmt.Errorf("the manifest is a %s (apiVersion %q), not a Promise (apiVersion %q, kind %q): give kratix_promise a promise.yaml",
			orNone(kind), apiVersion, PromiseGVK.GroupVersion().String(), PromiseGVK.Kind)
	}
	meta, err := parseMetadata(doc)
	if err != nil {
		return m, err
	}
	m.Name, m.Annotations = meta.name, meta.annotations
	if v, ok := meta.labels[LabelPromiseVersion]; ok {
		m.Version = v
		delete(meta.labels, LabelPromiseVersion)
	}
	if len(meta.labels) > 0 {
		m.Labels = meta.labels
	}
	spec, err := objectField(doc, "spec")
	if err != nil {
		return m, err
	}
	if unknown := unknownKeys(spec, promiseSpecFields); len(unknown) > 0 {
		return m, fmt.Errorf("spec has fields kratix_promise cannot carry: %s (it carries %s); remove them from the manifest, "+
			"or check them against the Promise API of your Kratix version", strings.Join(unknown, ", "), strings.Join(promiseSpecFields, ", "))
	}
	m.API, m.Dependencies = spec["api"], spec["dependencies"]
	if err := m.splitWorkflows(spec["workflows"]); err != nil {
		return m, err
	}
	if m.DestinationSelectors, err = parseSelectors(spec["destinationSelectors"]); err != nil {
		return m, err
	}
	m.RequiredPromises, err = parseRequiredPromises(spec["requiredPromises"])
	return m, err
}

func (m *PromiseManifest) splitWorkflows(raw any) error {
	if raw == nil {
		return nil
	}
	workflows, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("spec.workflows must be an object with `promise` and/or `resource`, got %s", typeName(raw))
	}
	rest := make(map[string]any, len(workflows))
	for k, v := range workflows {
		rest[k] = v
	}
	delete(rest, "config")
	if config, present := workflows["config"]; present && config != nil {
		cm, ok := config.(map[string]any)
		if !ok {
			return fmt.Errorf("spec.workflows.config must be an object, got %s", typeName(config))
		}
		known := []string{"pipelineNamespace", "reconciliationInterval"}
		if unknown := unknownKeys(cm, known); len(unknown) > 0 {
			return fmt.Errorf("spec.workflows.config has fields kratix_promise cannot carry: %s (it carries %s); remove them from the manifest",
				strings.Join(unknown, ", "), strings.Join(known, ", "))
		}
		var err error
		if m.PipelineNamespace, err = stringField(cm, "pipelineNamespace", "spec.workflows.config"); err != nil {
			return err
		}
		if m.ReconciliationInterval, err = stringField(cm, "reconciliationInterval", "spec.workflows.config"); err != nil {
			return err
		}
	}
	if len(rest) > 0 {
		m.Workflows = rest
	}
	return nil
}

func parseSelectors(raw any) ([]map[string]string, error) {
	if raw == nil {
		return nil, nil
	}
	items, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("spec.destinationSelectors must be a list of {matchLabels: {...}}, got %s", typeName(raw))
	}
	out := make([]map[string]string, 0, len(items))
	for i, item := range items {
		where := fmt.Sprintf("spec.destinationSelectors[%d]", i)
		selector, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s must be an object with matchLabels, got %s", where, typeName(item))
		}
		if unknown := unknownKeys(selector, []string{"matchLabels"}); len(unknown) > 0 {
			return nil, fmt.Errorf("%s has fields kratix_promise cannot carry: %s (only matchLabels); remove them", where, strings.Join(unknown, ", "))
		}
		labels, err := StringMap(selector["matchLabels"], where+".matchLabels")
		if err != nil {
			return nil, err
		}
		if labels == nil {
			labels = map[string]string{}
		}
		out = append(out, labels)
	}
	return out, nil
}

func parseRequiredPromises(raw any) ([]RequiredPromise, error) {
	if raw == nil {
		return nil, nil
	}
	items, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("spec.requiredPromises must be a list of {name, version}, got %s", typeName(raw))
	}
	out := make([]RequiredPromise, 0, len(items))
	for i, item := range items {
		where := fmt.Sprintf("spec.requiredPromises[%d]", i)
		entry, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s must be an object with name and version, got %s", where, typeName(item))
		}
		if unknown := unknownKeys(entry, []string{"name", "version"}); len(unknown) > 0 {
			return nil, fmt.Errorf("%s has fields kratix_promise cannot carry: %s (only name and version); remove them", where, strings.Join(unknown, ", "))
		}
		name, err := stringField(entry, "name", where)
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, fmt.Errorf("%s has no name: name the required Promise", where)
		}
		version, err := stringField(entry, "version", where)
		if err != nil {
			return nil, err
		}
		out = append(out, RequiredPromise{Name: name, Version: version})
	}
	return out, nil
}

// RequestManifest is a resource request's YAML split along the provider's
// arguments. Its apiVersion and kind do not decide anything: the Promise
// named in the configuration does. They may be blank (`kratix init` writes
// `kind: # kind`); the provider only warns when they name another kind.
type RequestManifest struct {
	APIVersion, Kind    string // "" when the manifest leaves them out or blank
	Name, Namespace     string // Namespace is "" when the manifest has none
	Labels, Annotations map[string]string
	Spec                map[string]any // nil when absent
}

// ParseRequestManifest splits a decoded resource request.
func ParseRequestManifest(doc map[string]any) (RequestManifest, error) {
	m := RequestManifest{APIVersion: str(doc["apiVersion"]), Kind: str(doc["kind"])}
	if strings.EqualFold(m.APIVersion, PromiseGVK.GroupVersion().String()) {
		return m, fmt.Errorf("the manifest is a %s of Kratix itself, not a request of a Promise's API: "+
			"give kratix_resource_request the request (e.g. resource-request.yaml), and a promise.yaml to kratix_promise", orNone(m.Kind))
	}
	meta, err := parseMetadata(doc)
	if err != nil {
		return m, err
	}
	m.Name, m.Labels, m.Annotations = meta.name, meta.labels, meta.annotations
	if m.Namespace, err = stringField(asObject(doc["metadata"]), "namespace", "metadata"); err != nil {
		return m, err
	}
	if doc["spec"] != nil {
		m.Spec, err = objectField(doc, "spec")
	}
	return m, err
}

type metadata struct {
	name                string
	labels, annotations map[string]string
}

func parseMetadata(doc map[string]any) (metadata, error) {
	var out metadata
	meta, err := objectField(doc, "metadata")
	if err != nil {
		return out, err
	}
	if out.name, err = stringField(meta, "name", "metadata"); err != nil {
		return out, err
	}
	if out.name == "" {
		return out, errors.New("the manifest has no metadata.name: add one (generateName is not supported, " +
			"as Terraform must know the object's name)")
	}
	if out.labels, err = StringMap(meta["labels"], "metadata.labels"); err != nil {
		return out, err
	}
	out.annotations, err = StringMap(meta["annotations"], "metadata.annotations")
	if len(out.annotations) == 0 {
		out.annotations = nil
	}
	if len(out.labels) == 0 {
		out.labels = nil
	}
	return out, err
}

// objectField is doc[key] as an object; absent or null gives an empty one.
func objectField(doc map[string]any, key string) (map[string]any, error) {
	v, present := doc[key]
	if !present || v == nil {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object, got %s", key, typeName(v))
	}
	return m, nil
}

func asObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func stringField(m map[string]any, key, where string) (string, error) {
	v, present := m[key]
	if !present || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s.%s must be a string, got %s: quote it in the YAML", where, key, typeName(v))
	}
	return s, nil
}

// StringMap reads a decoded YAML or HCL object of strings; where names it
// in the error.
func StringMap(v any, where string) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a map of strings, got %s", where, typeName(v))
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%s[%q] must be a string, got %s: quote it in the YAML", where, k, typeName(e))
		}
		out[k] = s
	}
	return out, nil
}

func unknownKeys(m map[string]any, known []string) []string {
	var out []string
	for k := range m {
		found := false
		for _, want := range known {
			found = found || k == want
		}
		if !found {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func typeName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}

func orNone(kind string) string {
	if kind == "" {
		return "document without kind"
	}
	return kind
}
