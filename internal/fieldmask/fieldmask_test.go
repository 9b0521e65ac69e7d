package fieldmask

import (
	"reflect"
	"testing"
)

func TestProjectDropsServerDefaultsAndKeepsUserFields(t *testing.T) {
	configured := map[string]any{"size": "small", "tls": map[string]any{"enabled": true}}
	live := map[string]any{
		"size":     "large",  // changed out of band: must show
		"replicas": int64(3), // server default: must not show
		"tls":      map[string]any{"enabled": true, "issuer": "default"},
	}
	got := Project(live, FromValue(configured))
	want := map[string]any{"size": "large", "tls": map[string]any{"enabled": true}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func TestProjectOmitsFieldsDeletedOutOfBand(t *testing.T) {
	got := Project(map[string]any{}, FromValue(map[string]any{"size": "small"}))
	if !reflect.DeepEqual(got, map[string]any{}) {
		t.Fatalf("got %#v", got)
	}
}

func TestFromManagedFields(t *testing.T) {
	managed := []any{
		map[string]any{"manager": "kratix", "fieldsV1": map[string]any{"f:spec": map[string]any{"f:replicas": map[string]any{}}}},
		map[string]any{"manager": "terraform-provider-kratix", "operation": "Apply", "fieldsV1": map[string]any{
			"f:metadata": map[string]any{"f:labels": map[string]any{"f:team": map[string]any{}}},
			"f:spec": map[string]any{
				"f:size":  map[string]any{},
				"f:ports": map[string]any{`k:{"name":"http"}`: map[string]any{".": map[string]any{}, "f:port": map[string]any{}}},
				"f:tls":   map[string]any{".": map[string]any{}, "f:enabled": map[string]any{}},
			},
		}},
	}
	mask, found := FromManagedFields(managed, "terraform-provider-kratix", "spec")
	if !found {
		t.Fatal("manager's fields not found")
	}
	want := Mask{"size": nil, "ports": nil, "tls": Mask{"enabled": nil}}
	if !reflect.DeepEqual(mask, want) {
		t.Fatalf("mask = %#v, want %#v", mask, want)
	}
	if _, found := FromManagedFields(managed, "someone-else", "spec"); found {
		t.Fatal("found fields for a manager that owns none")
	}
	all, found := FromAllManagedFields(managed, "spec")
	want["replicas"] = nil
	if !found || !reflect.DeepEqual(all, want) {
		t.Fatalf("all managers' mask = %#v, want %#v", all, want)
	}
	if _, found := FromAllManagedFields(managed, "status"); found {
		t.Fatal("found fields under a top-level field no manager owns")
	}
}

func TestEqualTreatsNumbersAlike(t *testing.T) {
	if !Equal(map[string]any{"n": int64(2)}, map[string]any{"n": float64(2)}) {
		t.Fatal("2 and 2.0 differ")
	}
	if Equal(map[string]any{"n": int64(2)}, map[string]any{"n": int64(3)}) {
		t.Fatal("2 and 3 equal")
	}
}
