package provider

import (
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/fieldmask"
)

func TestToGoWithNullsKeepsExplicitNulls(t *testing.T) {
	obj := types.DynamicValue(types.ObjectValueMust(
		map[string]attr.Type{"type": types.StringType, "properties": types.DynamicType},
		map[string]attr.Value{"type": types.StringValue("object"), "properties": types.DynamicNull()}))
	withNulls, err := toGoWithNulls(obj)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"type": "object", "properties": nil}; !reflect.DeepEqual(withNulls, want) {
		t.Errorf("toGoWithNulls: got %#v, want %#v", withNulls, want)
	}
	without, _ := toGo(obj)
	if want := map[string]any{"type": "object"}; !reflect.DeepEqual(without, want) {
		t.Errorf("toGo: got %#v, want %#v", without, want)
	}
}

func TestWithOwnedNulls(t *testing.T) {
	live := map[string]any{"metadata": map[string]any{"name": "x"}, "spec": map[string]any{"group": "g"}}
	owned := fieldmask.Mask{
		"metadata": {"name": nil, "creationTimestamp": nil},
		"spec":     {"group": nil, "versions": nil},
		"status":   {"conditions": nil}, // a dropped parent is not invented
	}
	got := withOwnedNulls(live, owned)
	want := map[string]any{
		"metadata": map[string]any{"name": "x", "creationTimestamp": nil},
		"spec":     map[string]any{"group": "g", "versions": nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if _, changed := live["metadata"].(map[string]any)["creationTimestamp"]; changed {
		t.Error("the live object was modified")
	}
}
