package provider

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
)

func TestClosestNamesFindsTypos(t *testing.T) {
	names := []string{"redis", "postgresql", "kafka", "redis-cluster", "rabbitmq"}
	for name, want := range map[string][]string{
		"rdis":        {"redis"},
		"postgres":    {"postgresql"},
		"redis-clstr": {"redis-cluster"},
		"mongodb":     {},
	} {
		if got := closestNames(name, names, 3); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("closestNames(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestRequestAttributePath(t *testing.T) {
	for field, want := range map[string]path.Path{
		"spec.size":                    path.Root("spec").AtMapKey("size"),
		".spec.items[2].name":          path.Root("spec").AtMapKey("items").AtListIndex(2).AtMapKey("name"),
		"spec":                         path.Root("spec"),
		"metadata.labels":              path.Root("labels"),
		`metadata.labels[team]`:        path.Root("labels").AtMapKey("team"),
		"metadata.namespace":           path.Root("namespace"),
		"status.message":               path.Root("spec"),
		`spec.matrix[1][0]`:            path.Root("spec").AtMapKey("matrix").AtListIndex(1).AtListIndex(0),
		`spec.selector["kratix.io/x"]`: path.Root("spec").AtMapKey("selector").AtMapKey("kratix.io/x"),
	} {
		if got := requestAttributePath(field); !got.Equal(want) {
			t.Errorf("requestAttributePath(%q) = %s, want %s", field, got, want)
		}
	}
}

func TestTypedPatchRefusals(t *testing.T) {
	for msg, want := range map[string][]fieldRefusal{
		`patch x "a": failed to create typed patch object (default/a; test.kratix.io/v1alpha1, Kind=T): .spec.sise: field not declared in schema`: {
			{"spec.sise", "field not declared in the Promise's API"},
		},
		`failed to create typed patch object (default/second; test.kratix.io/v1alpha1, Kind=T): .spec.replicas: expected numeric (int or float), got string`: {
			{"spec.replicas", "expected numeric (int or float), got string"},
		},
		`strict decoding error: unknown field "spec.colour"`: {{"spec.colour", "field not declared in the Promise's API"}},
		`the server is restarting`:                           nil,
	} {
		if got := typedPatchRefusals(msg); !reflect.DeepEqual(got, want) {
			t.Errorf("typedPatchRefusals(%q) = %v, want %v", msg, got, want)
		}
	}
}
