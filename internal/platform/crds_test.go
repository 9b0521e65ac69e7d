package platform

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// crdWant is what kratix-api.md §1 says about one CRD.
type crdWant struct {
	plural, scope string
	shortNames    []string
	kratixCat     bool
	status        bool
	columns       []string // printer-column JSONPaths, in order
}

var wantCRDs = map[string]crdWant{
	"Promise": {plural: "promises", scope: "Cluster", kratixCat: true, status: true,
		columns: []string{".status.status", ".status.kind", ".status.apiVersion", ".status.version", ".status.message"}},
	"Destination": {plural: "destinations", scope: "Cluster", shortNames: []string{"dest", "dests"}, kratixCat: true, status: true,
		columns: []string{".spec.stateStoreRef.kind", ".spec.stateStoreRef.name", readyStatus}},
	"GitStateStore": {plural: "gitstatestores", scope: "Cluster", kratixCat: true, status: true,
		columns: []string{".spec.url", ".spec.branch", readyStatus}},
	"BucketStateStore": {plural: "bucketstatestores", scope: "Cluster", kratixCat: true, status: true,
		columns: []string{".spec.bucketName", ".spec.endpoint", readyStatus}},
	"Work": {plural: "works", scope: "Namespaced", kratixCat: true, status: true,
		columns: []string{readyMessage}},
	"WorkPlacement": {plural: "workplacements", scope: "Namespaced", shortNames: []string{"wp", "wps"}, kratixCat: true, status: true,
		columns: []string{".spec.targetDestinationName", readyMessage}},
	"PromiseRelease": {plural: "promisereleases", scope: "Cluster", kratixCat: true, status: true,
		columns: []string{".status.status", ".spec.version"}},
	"PromiseRevision": {plural: "promiserevisions", scope: "Cluster", kratixCat: true, status: true,
		columns: []string{".spec.promiseRef.name", ".spec.version", ".status.latest"}},
	"ResourceBinding": {plural: "resourcebindings", scope: "Namespaced", kratixCat: true, status: true,
		columns: []string{".spec.resourceRef.name", ".spec.promiseRef.name", ".spec.version", ".status.lastAppliedVersion"}},
	"HealthRecord": {plural: "healthrecords", scope: "Namespaced",
		columns: []string{".data.state", ".metadata.creationTimestamp"}},
}

const (
	readyStatus  = `.status.conditions[?(@.type=="Ready")].status`
	readyMessage = `.status.conditions[?(@.type=="Ready")].message`
)

func loadCRDs(t *testing.T) map[string]*unstructured.Unstructured {
	t.Helper()
	crds, err := KratixCRDs()
	if err != nil {
		t.Fatalf("KratixCRDs: %v", err)
	}
	byKind := map[string]*unstructured.Unstructured{}
	for _, crd := range crds {
		kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		if byKind[kind] != nil {
			t.Fatalf("kind %s defined twice", kind)
		}
		byKind[kind] = crd
	}
	return byKind
}

func TestKratixCRDsParseAndSorted(t *testing.T) {
	names, err := crdFileNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			t.Errorf("unexpected file %s", name)
		}
		if _, err := parseCRD(name); err != nil {
			t.Errorf("parse: %v", err)
		}
		raw, _ := crdFiles.ReadFile(name)
		if !strings.HasPrefix(string(raw), "# Written for this project's local test platform from") {
			t.Errorf("%s: missing the provenance comment", name)
		}
	}
	crds, err := KratixCRDs()
	if err != nil {
		t.Fatal(err)
	}
	if !sort.SliceIsSorted(crds, func(i, j int) bool { return crds[i].GetName() < crds[j].GetName() }) {
		t.Error("KratixCRDs is not sorted by name")
	}
}

func TestKratixCRDsKinds(t *testing.T) {
	var got, want []string
	for kind := range loadCRDs(t) {
		got = append(got, kind)
	}
	for kind := range wantCRDs {
		want = append(want, kind)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
}

func TestKratixCRDsNamesAndVersions(t *testing.T) {
	byKind := loadCRDs(t)
	for kind, want := range wantCRDs {
		t.Run(kind, func(t *testing.T) {
			crd := byKind[kind]
			if crd == nil {
				t.Fatalf("no CRD for %s", kind)
			}
			if crd.GetAPIVersion() != "apiextensions.k8s.io/v1" {
				t.Errorf("apiVersion = %s", crd.GetAPIVersion())
			}
			if name := want.plural + ".platform.kratix.io"; crd.GetName() != name {
				t.Errorf("name = %s, want %s", crd.GetName(), name)
			}
			assertString(t, crd, "platform.kratix.io", "spec", "group")
			assertString(t, crd, want.scope, "spec", "scope")
			assertString(t, crd, want.plural, "spec", "names", "plural")
			assertString(t, crd, strings.ToLower(kind), "spec", "names", "singular")
			assertString(t, crd, kind+"List", "spec", "names", "listKind")
			short, _, _ := unstructured.NestedStringSlice(crd.Object, "spec", "names", "shortNames")
			if !reflect.DeepEqual(short, want.shortNames) {
				t.Errorf("shortNames = %v, want %v", short, want.shortNames)
			}
			cats, _, _ := unstructured.NestedStringSlice(crd.Object, "spec", "names", "categories")
			if got := reflect.DeepEqual(cats, []string{"kratix"}); got != want.kratixCat {
				t.Errorf("categories = %v, want kratix only: %v", cats, want.kratixCat)
			}
			v := onlyVersion(t, crd)
			if v["name"] != "v1alpha1" || v["served"] != true || v["storage"] != true {
				t.Errorf("version = %v/%v/%v, want v1alpha1 served storage", v["name"], v["served"], v["storage"])
			}
			_, hasStatus, _ := unstructured.NestedMap(v, "subresources", "status")
			if hasStatus != want.status {
				t.Errorf("status subresource = %v, want %v", hasStatus, want.status)
			}
			if got := columnPaths(v); !reflect.DeepEqual(got, want.columns) {
				t.Errorf("printer columns = %v, want %v", got, want.columns)
			}
		})
	}
}

func TestKratixCRDsTopLevelShape(t *testing.T) {
	for kind, crd := range loadCRDs(t) {
		props := schemaOf(t, crd)["properties"].(map[string]any)
		_, spec := props["spec"]
		_, status := props["status"]
		_, data := props["data"]
		if kind == "HealthRecord" {
			if spec || status || !data {
				t.Errorf("HealthRecord: want only data, got spec=%v status=%v data=%v", spec, status, data)
			}
			continue
		}
		if !spec || !status || data {
			t.Errorf("%s: want spec and status, got spec=%v status=%v data=%v", kind, spec, status, data)
		}
	}
}

// TestKratixCRDsStructural checks the rules of a structural schema that a
// typo would most likely break; the API server checks the rest.
func TestKratixCRDsStructural(t *testing.T) {
	for kind, crd := range loadCRDs(t) {
		walkSchema(t, kind, "", schemaOf(t, crd))
	}
}

func walkSchema(t *testing.T, kind, at string, node map[string]any) {
	t.Helper()
	preserve := node["x-kubernetes-preserve-unknown-fields"] == true
	if _, ok := node["type"]; !ok && !preserve {
		t.Errorf("%s %s: no type", kind, at)
	}
	if node["x-kubernetes-embedded-resource"] == true && (node["type"] != "object" || !preserve) {
		t.Errorf("%s %s: embedded resource must be an object preserving unknown fields", kind, at)
	}
	props, _ := node["properties"].(map[string]any)
	for _, r := range asStrings(node["required"]) {
		if _, ok := props[r]; !ok {
			t.Errorf("%s %s: required %q is not a property", kind, at, r)
		}
	}
	if enum, ok := node["enum"].([]any); ok {
		if def, has := node["default"]; has && !contains(enum, def) {
			t.Errorf("%s %s: default %v not in enum %v", kind, at, def, enum)
		}
	}
	for name, p := range props {
		walkSchema(t, kind, at+"."+name, p.(map[string]any))
	}
	if items, ok := node["items"].(map[string]any); ok {
		walkSchema(t, kind, at+"[]", items)
	}
	if add, ok := node["additionalProperties"].(map[string]any); ok {
		walkSchema(t, kind, at+"{}", add)
	}
}

func TestKratixCRDsSchemaFacts(t *testing.T) {
	byKind := loadCRDs(t)
	cases := []struct {
		kind, path, key string
		want            any
	}{
		{"Destination", "spec", "required", []any{"path"}},
		{"Destination", "spec.stateStoreRef", "required", []any{"kind", "name"}},
		{"Destination", "spec.stateStoreRef.kind", "enum", []any{"BucketStateStore", "GitStateStore"}},
		{"Destination", "spec.strictMatchLabels", "default", false},
		{"Destination", "spec.filepath", "default", map[string]any{"mode": "nestedByMetadata"}},
		{"Destination", "spec.filepath.mode", "enum", []any{"nestedByMetadata", "aggregatedYAML", "none"}},
		{"Destination", "spec.filepath.mode", "x-kubernetes-validations",
			[]any{map[string]any{"rule": "self == oldSelf", "message": "filepath.mode is immutable"}}},
		{"Destination", "spec.cleanup", "enum", []any{"none", "all"}},
		{"Destination", "spec.cleanup", "default", "none"},
		{"Destination", "spec.initWorkloads", "default", map[string]any{}},
		{"Destination", "spec.initWorkloads.enabled", "default", true},
		{"GitStateStore", "spec.branch", "default", "main"},
		{"GitStateStore", "spec.authMethod", "enum", []any{"basicAuth", "ssh", "githubApp"}},
		{"GitStateStore", "spec.authMethod", "default", "basicAuth"},
		{"GitStateStore", "spec.gitAuthor", "default", map[string]any{"name": "kratix"}},
		{"GitStateStore", "status", "required", []any{"status"}},
		{"BucketStateStore", "spec", "required", []any{"bucketName", "endpoint"}},
		{"BucketStateStore", "spec.authMethod", "enum", []any{"accessKey", "IAM"}},
		{"BucketStateStore", "spec.authMethod", "default", "accessKey"},
		{"BucketStateStore", "status", "required", []any{"status"}},
		{"Promise", "spec.api", "x-kubernetes-embedded-resource", true},
		{"Promise", "spec.api", "x-kubernetes-preserve-unknown-fields", true},
		{"Promise", "spec.dependencies[]", "x-kubernetes-preserve-unknown-fields", true},
		{"Promise", "spec.workflows.promise.configure[]", "x-kubernetes-preserve-unknown-fields", true},
		{"Promise", "spec.workflows.resource.delete[]", "x-kubernetes-preserve-unknown-fields", true},
		{"Promise", "spec.destinationSelectors[].matchLabels{}", "type", "string"},
		{"Promise", "status", "required", []any{"workflows", "workflowsFailed", "workflowsSucceeded"}},
		{"Promise", "status", "x-kubernetes-preserve-unknown-fields", nil},
		{"Promise", "status.kratix.workflows.pipelines[].nextRetryAt", "format", "date-time"},
		{"Promise", "status.conditions[].status", "enum", []any{"True", "False", "Unknown"}},
		{"Promise", "status.conditions[]", "required", []any{"type", "status"}},
		{"PromiseRevision", "spec.promiseSpec.api", "x-kubernetes-embedded-resource", true},
		{"PromiseRevision", "spec", "required", []any{"promiseRef", "promiseSpec", "version"}},
		{"PromiseRelease", "spec.sourceRef", "default", map[string]any{"type": "http"}},
		{"PromiseRelease", "spec.sourceRef.type", "enum", []any{"http"}},
		{"ResourceBinding", "spec.resourceRef", "required", []any{"name", "namespace", "generation"}},
		{"HealthRecord", "data", "required", []any{"promiseRef", "resourceRef", "state"}},
		{"HealthRecord", "data.state", "enum", []any{"unknown", "ready", "unhealthy", "healthy", "degraded"}},
		{"HealthRecord", "data.state", "default", "unknown"},
		{"HealthRecord", "data.details", "x-kubernetes-preserve-unknown-fields", true},
	}
	for _, c := range cases {
		t.Run(c.kind+"/"+c.path+"/"+c.key, func(t *testing.T) {
			node := schemaAt(t, schemaOf(t, byKind[c.kind]), c.path)
			if got := node[c.key]; !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s = %#v, want %#v", c.key, got, c.want)
			}
		})
	}
}

// Every condition list shares the relaxed metav1.Condition shape.
func TestKratixCRDsConditions(t *testing.T) {
	for kind, crd := range loadCRDs(t) {
		if kind == "HealthRecord" {
			continue
		}
		item := schemaAt(t, schemaOf(t, crd), "status.conditions[]")
		props := item["properties"].(map[string]any)
		for _, f := range []string{"type", "status", "reason", "message", "lastTransitionTime", "observedGeneration"} {
			if props[f] == nil {
				t.Errorf("%s: condition has no %s", kind, f)
			}
		}
		if got := asStrings(item["required"]); !reflect.DeepEqual(got, []string{"type", "status"}) {
			t.Errorf("%s: condition required = %v", kind, got)
		}
	}
}

func TestResourceBindingSelectableField(t *testing.T) {
	v := onlyVersion(t, loadCRDs(t)["ResourceBinding"])
	want := []any{map[string]any{"jsonPath": ".spec.version"}}
	if got := v["selectableFields"]; !reflect.DeepEqual(got, want) {
		t.Errorf("selectableFields = %v, want %v", got, want)
	}
}

func TestCRDEstablished(t *testing.T) {
	cond := func(typ, status string) map[string]any {
		return map[string]any{"type": typ, "status": status, "message": typ + " " + status}
	}
	withConds := func(c ...any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"conditions": c}}}
	}
	cases := []struct {
		name    string
		crd     *unstructured.Unstructured
		ok, err bool
	}{
		{"no status", &unstructured.Unstructured{Object: map[string]any{}}, false, false},
		{"pending", withConds(cond("NamesAccepted", "True"), cond("Established", "False")), false, false},
		{"established", withConds(cond("NamesAccepted", "True"), cond("Established", "True")), true, false},
		{"name clash", withConds(cond("NamesAccepted", "False"), cond("Established", "False")), false, true},
	}
	for _, c := range cases {
		ok, err := crdEstablished(c.crd)
		if ok != c.ok || (err != nil) != c.err {
			t.Errorf("%s: got %v, %v; want %v, error %v", c.name, ok, err, c.ok, c.err)
		}
	}
}

func assertString(t *testing.T, obj *unstructured.Unstructured, want string, path ...string) {
	t.Helper()
	got, _, _ := unstructured.NestedString(obj.Object, path...)
	if got != want {
		t.Errorf("%s = %q, want %q", strings.Join(path, "."), got, want)
	}
}

func onlyVersion(t *testing.T, crd *unstructured.Unstructured) map[string]any {
	t.Helper()
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	if len(versions) != 1 {
		t.Fatalf("%s: %d versions, want 1", crd.GetName(), len(versions))
	}
	return versions[0].(map[string]any)
}

func columnPaths(version map[string]any) []string {
	cols, _, _ := unstructured.NestedSlice(version, "additionalPrinterColumns")
	var paths []string
	for _, c := range cols {
		paths = append(paths, fmt.Sprint(c.(map[string]any)["jsonPath"]))
	}
	return paths
}

func schemaOf(t *testing.T, crd *unstructured.Unstructured) map[string]any {
	t.Helper()
	s, ok, _ := unstructured.NestedMap(onlyVersion(t, crd), "schema", "openAPIV3Schema")
	if !ok {
		t.Fatalf("%s: no openAPIV3Schema", crd.GetName())
	}
	return s
}

// schemaAt follows a dotted path; "[]" steps into items, "{}" into
// additionalProperties.
func schemaAt(t *testing.T, node map[string]any, path string) map[string]any {
	t.Helper()
	for _, part := range strings.Split(path, ".") {
		name, suffix := strings.TrimRight(part, "[]{}"), part[len(strings.TrimRight(part, "[]{}")):]
		node = child(t, node, name, path)
		for ; suffix != ""; suffix = suffix[2:] {
			key := map[string]string{"[]": "items", "{}": "additionalProperties"}[suffix[:2]]
			next, ok := node[key].(map[string]any)
			if !ok {
				t.Fatalf("%s: no %s", path, key)
			}
			node = next
		}
	}
	return node
}

func child(t *testing.T, node map[string]any, name, path string) map[string]any {
	t.Helper()
	props, _ := node["properties"].(map[string]any)
	next, ok := props[name].(map[string]any)
	if !ok {
		t.Fatalf("%s: no property %s", path, name)
	}
	return next
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

func contains(list []any, v any) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) {
			return true
		}
	}
	return false
}
