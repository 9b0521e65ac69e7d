package kratix

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// SchemaProblem is one way a request's spec breaks its Promise's API schema.
type SchemaProblem struct {
	Path    []any // keys and indexes from the spec's root
	Message string
}

// SpecSchema returns the openAPIV3Schema of `spec` for the version of the
// Promise's API that requests are written in (status.apiVersion, else the
// storage version). ok is false when the Promise has no usable schema.
func SpecSchema(promise *unstructured.Unstructured) (map[string]any, bool) {
	versions, _, _ := unstructured.NestedSlice(promise.Object, "spec", "api", "spec", "versions")
	want := nestedString(promise, "status", "apiVersion")
	for _, v := range versions {
		version, _ := v.(map[string]any)
		name, _ := version["name"].(string)
		storage, _ := version["storage"].(bool)
		if want != "" && !strings.HasSuffix(want, "/"+name) || want == "" && !storage {
			continue
		}
		spec, found, _ := unstructured.NestedMap(version, "schema", "openAPIV3Schema", "properties", "spec")
		return spec, found
	}
	return nil, false
}

// Unknown stands for a value Terraform will only know at apply time; the
// validator skips it.
type Unknown struct{}

// ValidateSpec checks a JSON-shaped value against a structural schema the
// way the API server would: types, enums, patterns, required fields, bounds,
// and fields the schema does not know (which Kubernetes would silently
// drop, leaving a permanent diff). Unknown values are skipped.
func ValidateSpec(value any, schema map[string]any) []SchemaProblem {
	var problems []SchemaProblem
	validateNode(value, schema, nil, &problems)
	return problems
}

func validateNode(value any, schema map[string]any, at []any, problems *[]SchemaProblem) {
	if _, unknown := value.(Unknown); schema == nil || value == nil || unknown {
		return
	}
	add := func(format string, args ...any) {
		*problems = append(*problems, SchemaProblem{Path: append([]any(nil), at...), Message: fmt.Sprintf(format, args...)})
	}
	if !typeMatches(value, schema) {
		add("must be %s, got %s", describeType(schema), describeValue(value))
		return
	}
	checkEnum(value, schema, add)
	checkBounds(value, schema, add)
	switch v := value.(type) {
	case map[string]any:
		validateObject(v, schema, at, problems, add)
	case []any:
		items, _ := schema["items"].(map[string]any)
		for i, item := range v {
			validateNode(item, items, append(at, i), problems)
		}
	}
}

func validateObject(v map[string]any, schema map[string]any, at []any, problems *[]SchemaProblem, add func(string, ...any)) {
	props, _ := schema["properties"].(map[string]any)
	for _, req := range stringsOf(schema["required"]) {
		if _, ok := v[req]; !ok {
			add("missing required field %q", req)
		}
	}
	preserve, _ := schema["x-kubernetes-preserve-unknown-fields"].(bool)
	additional := schema["additionalProperties"]
	for _, k := range sortedKeys(v) {
		if child, ok := props[k].(map[string]any); ok {
			validateNode(v[k], child, append(at, k), problems)
			continue
		}
		switch ap := additional.(type) {
		case map[string]any:
			validateNode(v[k], ap, append(at, k), problems)
		case bool:
			if !ap && !preserve {
				*problems = append(*problems, SchemaProblem{append(append([]any(nil), at...), k), "is not a field of this API"})
			}
		default:
			if !preserve && props != nil {
				*problems = append(*problems, SchemaProblem{append(append([]any(nil), at...), k),
					fmt.Sprintf("is not a field of this API (known fields: %s); the API server rejects fields its schema does not declare", strings.Join(sortedKeys(props), ", "))})
			}
		}
	}
}

func typeMatches(value any, schema map[string]any) bool {
	if schema["x-kubernetes-int-or-string"] == true {
		switch v := value.(type) {
		case string, int64, int:
			return true
		case float64:
			return v == float64(int64(v))
		}
		return false
	}
	switch schema["type"] {
	case "object":
		_, ok := value.(map[string]any)
		return ok
	case "array":
		_, ok := value.([]any)
		return ok
	case "string":
		_, ok := value.(string)
		return ok
	case "boolean":
		_, ok := value.(bool)
		return ok
	case "integer":
		switch n := value.(type) {
		case int64, int:
			return true
		case float64:
			return n == float64(int64(n))
		}
		return false
	case "number":
		switch value.(type) {
		case int64, int, float64:
			return true
		}
		return false
	}
	return true // no type: anything goes
}

func checkEnum(value any, schema map[string]any, add func(string, ...any)) {
	enum, ok := schema["enum"].([]any)
	if !ok || len(enum) == 0 {
		return
	}
	for _, e := range enum {
		if fmt.Sprint(e) == fmt.Sprint(value) {
			return
		}
	}
	add("must be one of %s, got %s", describeEnum(enum), describeValue(value))
}

func checkBounds(value any, schema map[string]any, add func(string, ...any)) {
	switch v := value.(type) {
	case string:
		if p, ok := schema["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err == nil && !re.MatchString(v) {
				add("%q does not match the pattern %s", v, p)
			}
		}
		checkCount(int64(len([]rune(v))), schema, "minLength", "maxLength", "characters", add)
	case []any:
		checkCount(int64(len(v)), schema, "minItems", "maxItems", "items", add)
	case int64, int, float64:
		n := toFloat(v)
		if minimum, ok := number(schema["minimum"]); ok && n < minimum {
			add("must be at least %v, got %v", minimum, v)
		}
		if maximum, ok := number(schema["maximum"]); ok && n > maximum {
			add("must be at most %v, got %v", maximum, v)
		}
	}
}

func checkCount(n int64, schema map[string]any, minKey, maxKey, unit string, add func(string, ...any)) {
	if minimum, ok := number(schema[minKey]); ok && float64(n) < minimum {
		add("must have at least %v %s, has %d", minimum, unit, n)
	}
	if maximum, ok := number(schema[maxKey]); ok && float64(n) > maximum {
		add("must have at most %v %s, has %d", maximum, unit, n)
	}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func toFloat(v any) float64 {
	n, _ := number(v)
	return n
}

func stringsOf(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, item := range list {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func describeType(schema map[string]any) string {
	if schema["x-kubernetes-int-or-string"] == true {
		return "an integer or a string"
	}
	switch t := schema["type"]; t {
	case "object":
		return "an object"
	case "array":
		return "a list"
	case "integer":
		return "an integer"
	default:
		return fmt.Sprintf("a %v", t)
	}
}

func describeValue(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	}
	return fmt.Sprintf("the number %v", v)
}

func describeEnum(enum []any) string {
	parts := make([]string, 0, len(enum))
	for _, e := range enum {
		parts = append(parts, fmt.Sprintf("%q", fmt.Sprint(e)))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
