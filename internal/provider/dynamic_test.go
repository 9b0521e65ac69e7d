package provider

import (
	"context"
	"errors"
	"math/big"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestToGoKeepsIntegersIntegral(t *testing.T) {
	obj := types.ObjectValueMust(
		map[string]attr.Type{"replicas": types.NumberType, "ratio": types.NumberType, "name": types.StringType, "on": types.BoolType},
		map[string]attr.Value{
			"replicas": types.NumberValue(big.NewFloat(3)),
			"ratio":    types.NumberValue(big.NewFloat(0.5)),
			"name":     types.StringValue("x"),
			"on":       types.BoolValue(true),
		})
	got, err := toGo(types.DynamicValue(obj))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"replicas": int64(3), "ratio": 0.5, "name": "x", "on": true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func TestToGoUnknown(t *testing.T) {
	obj := types.ObjectValueMust(map[string]attr.Type{"size": types.StringType}, map[string]attr.Value{"size": types.StringUnknown()})
	if _, err := toGo(obj); !errors.Is(err, errUnknown) {
		t.Fatalf("err = %v, want errUnknown", err)
	}
}

// A refresh must rebuild the value with the prior value's types, or an
// unchanged list would come back as a tuple and show as a change.
func TestFromGoReusesPriorTypes(t *testing.T) {
	ctx := context.Background()
	prior := types.ObjectValueMust(
		map[string]attr.Type{"tags": types.ListType{ElemType: types.StringType}, "env": types.MapType{ElemType: types.StringType}},
		map[string]attr.Value{
			"tags": types.ListValueMust(types.StringType, []attr.Value{types.StringValue("a")}),
			"env":  types.MapValueMust(types.StringType, map[string]attr.Value{"K": types.StringValue("v")}),
		})
	live := map[string]any{"tags": []any{"a", "b"}, "env": map[string]any{"K": "w"}}
	got := fromGo(ctx, live, types.DynamicValue(prior))
	obj, ok := got.(types.Object)
	if !ok {
		t.Fatalf("got %T, want object", got)
	}
	if _, ok := obj.Attributes()["tags"].(types.List); !ok {
		t.Errorf("tags became %T, want a list like the prior value", obj.Attributes()["tags"])
	}
	if _, ok := obj.Attributes()["env"].(types.Map); !ok {
		t.Errorf("env became %T, want a map like the prior value", obj.Attributes()["env"])
	}
}

func TestFromGoRoundTrip(t *testing.T) {
	ctx := context.Background()
	live := map[string]any{"size": "small", "replicas": int64(2), "nested": map[string]any{"list": []any{int64(1), "two", true}}}
	back, err := toGo(fromGo(ctx, live, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, live) {
		t.Fatalf("round trip changed the value: %#v", back)
	}
}
