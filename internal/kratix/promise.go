package kratix

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// LabelPromiseVersion carries a Promise's version; Kratix mirrors it into
// status.version.
const LabelPromiseVersion = "kratix.io/promise-version"

// PromiseSummary is what a Promise says about itself in its status.
type PromiseSummary struct {
	Name       string
	Status     string // Available or Unavailable
	Kind       string // kind of the generated API
	APIVersion string // group/version of the generated API
	Version    string
	Message    string
}

// SummarisePromise reads the summary fields of a Promise. Missing fields are
// empty: a Promise Kratix has not reconciled yet has no status.
func SummarisePromise(obj *unstructured.Unstructured) PromiseSummary {
	version := nestedString(obj, "status", "version")
	if version == "" {
		version = obj.GetLabels()[LabelPromiseVersion]
	}
	return PromiseSummary{
		Name:       obj.GetName(),
		Status:     nestedString(obj, "status", "status"),
		Kind:       nestedString(obj, "status", "kind"),
		APIVersion: nestedString(obj, "status", "apiVersion"),
		Version:    version,
		Message:    nestedString(obj, "status", "message"),
	}
}

func nestedString(obj *unstructured.Unstructured, fields ...string) string {
	s, _, _ := unstructured.NestedString(obj.Object, fields...)
	return s
}

// LabelPromiseName links requests, Jobs and Works to their Promise.
const LabelPromiseName = "kratix.io/promise-name"

// webhookEmptyWorkflows are the spec.workflows fields Kratix's mutating
// webhook adds as empty objects when a Promise lacks them (and spec.workflows
// itself, holding them). The webhook decodes the Promise into Kratix's Go
// types and patches in whatever their JSON encoding adds: these fields are
// structs, which encoding/json writes even when empty and tagged omitempty.
// The empty lists and strings that encoding drops stay, because
// controller-runtime leaves removals out of a defaulting patch.
var webhookEmptyWorkflows = []string{"config", "promise", "resource"}

// DropWebhookEmpties returns a copy of a Promise's spec.workflows without
// the empty objects Kratix's webhook adds, so that reading a Promise back
// shows what was written. written reports whether the user wrote the field
// (an empty object set on purpose stays).
func DropWebhookEmpties(workflows map[string]any, written func(field string) bool) map[string]any {
	out := make(map[string]any, len(workflows))
	for k, v := range workflows {
		out[k] = v
	}
	for _, field := range webhookEmptyWorkflows {
		if v, ok := out[field].(map[string]any); ok && len(v) == 0 && !written(field) {
			delete(out, field)
		}
	}
	return out
}

// PromiseAPI is the API a Promise's requests use: status.apiVersion and
// status.kind once Kratix has published them, and until then what Kratix
// will publish, read from spec.api as Kratix does (the CRD's group and
// storage version, lower-cased, and its kind). Kratix publishes them a
// moment after it installs the CRD, so a request can exist, and be read,
// before then. published tells which; apiVersion and kind are empty when
// spec.api does not name them either.
func PromiseAPI(promise *unstructured.Unstructured) (apiVersion, kind string, published bool) {
	s := SummarisePromise(promise)
	if s.APIVersion != "" && s.Kind != "" {
		return s.APIVersion, s.Kind, true
	}
	group := nestedString(promise, "spec", "api", "spec", "group")
	kind = nestedString(promise, "spec", "api", "spec", "names", "kind")
	versions, _, _ := unstructured.NestedSlice(promise.Object, "spec", "api", "spec", "versions")
	for _, v := range versions {
		version, _ := v.(map[string]any)
		name, _ := version["name"].(string)
		if storage, _ := version["storage"].(bool); storage && group != "" && name != "" && kind != "" {
			return strings.ToLower(group + "/" + name), kind, false
		}
	}
	return "", "", false
}
