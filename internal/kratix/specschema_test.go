package kratix

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const redisLikeSchema = `
type: object
required: [replicas]
properties:
  size: {type: string, enum: [small, large], default: small}
  replicas: {type: integer, minimum: 1, maximum: 5}
  region: {type: string, pattern: "^[a-z]+-[0-9]$"}
  port: {x-kubernetes-int-or-string: true}
  tags: {type: array, items: {type: string}, maxItems: 2}
  labels: {type: object, additionalProperties: {type: string}}
  extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

func mustSchema(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := yaml.Unmarshal([]byte(redisLikeSchema), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestValidateSpec(t *testing.T) {
	tests := []struct {
		name  string
		spec  map[string]any
		path  string
		match string
	}{
		{"valid", map[string]any{"size": "small", "replicas": int64(2), "port": "http", "extra": map[string]any{"x": 1.5}}, "", ""},
		{"enum", map[string]any{"size": "huge", "replicas": int64(1)}, "[size]", `one of "small", "large"`},
		{"type", map[string]any{"replicas": "two"}, "[replicas]", "must be an integer"},
		{"minimum", map[string]any{"replicas": int64(0)}, "[replicas]", "at least 1"},
		{"pattern", map[string]any{"replicas": int64(1), "region": "EU"}, "[region]", "does not match the pattern"},
		{"required", map[string]any{"size": "small"}, "[]", `missing required field "replicas"`},
		{"unknown field", map[string]any{"replicas": int64(1), "sise": "small"}, "[sise]", "not a field of this API"},
		{"list item type", map[string]any{"replicas": int64(1), "tags": []any{"a", int64(3)}}, "[tags 1]", "must be a string"},
		{"maxItems", map[string]any{"replicas": int64(1), "tags": []any{"a", "b", "c"}}, "[tags]", "at most 2 items"},
		{"map values", map[string]any{"replicas": int64(1), "labels": map[string]any{"a": true}}, "[labels a]", "must be a string"},
		{"unknown values are skipped", map[string]any{"replicas": Unknown{}, "size": Unknown{}}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := ValidateSpec(tt.spec, mustSchema(t))
			if tt.match == "" {
				if len(problems) != 0 {
					t.Fatalf("unexpected problems: %+v", problems)
				}
				return
			}
			if len(problems) != 1 {
				t.Fatalf("want one problem, got %+v", problems)
			}
			if got := fmt.Sprint(problems[0].Path); got != tt.path {
				t.Errorf("path = %s, want %s", got, tt.path)
			}
			if !strings.Contains(problems[0].Message, tt.match) {
				t.Errorf("message %q does not contain %q", problems[0].Message, tt.match)
			}
		})
	}
}
