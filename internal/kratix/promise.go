package kratix

import (
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
