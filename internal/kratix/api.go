package kratix

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ValidatePromiseAPI applies the webhook's rules for spec.api that can be
// checked without a cluster (kratix-api.md §3.5): it is a
// CustomResourceDefinition, and on create it is namespaced. It returns a
// sentence for a person, or "".
func ValidatePromiseAPI(api map[string]any, creating bool) string {
	if api == nil {
		return "The API must be a CustomResourceDefinition object."
	}
	// Kratix decodes spec.api into an apiextensions/v1 CRD whatever its
	// apiVersion says (the marketplace's kubeflow-pipelines Promise says
	// v1alpha1), so only the kind is checked.
	if kind, set := api["kind"]; set && kind != "CustomResourceDefinition" {
		return fmt.Sprintf("The API must be a CustomResourceDefinition, not a %v.", kind)
	}
	group, _, _ := unstructured.NestedString(api, "spec", "group")
	kind, _, _ := unstructured.NestedString(api, "spec", "names", "kind")
	plural, _, _ := unstructured.NestedString(api, "spec", "names", "plural")
	name, _, _ := unstructured.NestedString(api, "metadata", "name")
	switch {
	case group == "" || kind == "" || plural == "":
		return "The API needs spec.group, spec.names.kind and spec.names.plural."
	case name == "":
		return fmt.Sprintf("The API needs metadata.name, which for this CRD must be %q (<plural>.<group>).", plural+"."+group)
	case name != plural+"."+group:
		return fmt.Sprintf("The API's metadata.name is %q, but a CRD must be named <plural>.<group>, here %q.", name, plural+"."+group)
	}
	scope, _, _ := unstructured.NestedString(api, "spec", "scope")
	if creating && scope != "Namespaced" {
		return fmt.Sprintf("The API's spec.scope is %q; Kratix requires a Promise's API to be Namespaced (resource requests live in namespaces).", scope)
	}
	return ""
}

// APIIdentityChange reports what changed among the parts of the API that
// Kratix makes immutable: the CRD's name, group and names. "" when none.
func APIIdentityChange(prior, planned map[string]any) string {
	for _, field := range [][]string{{"metadata", "name"}, {"spec", "group"}, {"spec", "names"}} {
		before, _, _ := unstructured.NestedFieldNoCopy(prior, field...)
		after, _, _ := unstructured.NestedFieldNoCopy(planned, field...)
		if !reflect.DeepEqual(before, after) {
			return fmt.Sprintf("The API's %s changes from %v to %v.", joinPath(field), before, after)
		}
	}
	return ""
}

func joinPath(fields []string) string {
	out := ""
	for i, f := range fields {
		if i > 0 {
			out += "."
		}
		out += f
	}
	return out
}
