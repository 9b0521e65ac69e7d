package provider

import (
	"context"
	"fmt"
	"math/big"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// Conversions between Terraform values (what HCL and yamldecode produce) and
// the JSON-shaped Go values of unstructured Kubernetes objects.

// errUnknown marks a value that is not known yet (during plan).
var errUnknown = fmt.Errorf("value not known until apply")

// toGo converts a Terraform value to map[string]any / []any / string /
// int64 / float64 / bool / nil. Unknown values give errUnknown. Null
// attributes of objects and maps are left out.
func toGo(v attr.Value) (any, error) { return goConverter{}.convert(v) }

// toGoWithNulls is toGo keeping null attributes as explicit nulls, as
// kubectl apply sends them: for values a user owns whole (a Promise's API,
// workflows and dependencies), so that the object, and an import of it,
// carries what the configuration says.
func toGoWithNulls(v attr.Value) (any, error) { return goConverter{keepNulls: true}.convert(v) }

type goConverter struct{ keepNulls bool }

func (c goConverter) convert(v attr.Value) (any, error) {
	if v == nil || v.IsNull() {
		return nil, nil
	}
	if v.IsUnknown() {
		return nil, errUnknown
	}
	switch tv := v.(type) {
	case types.Dynamic:
		return c.convert(tv.UnderlyingValue())
	case types.String:
		return tv.ValueString(), nil
	case types.Bool:
		return tv.ValueBool(), nil
	case types.Number:
		return numberToGo(tv.ValueBigFloat()), nil
	case types.Int64:
		return tv.ValueInt64(), nil
	case types.Float64:
		return tv.ValueFloat64(), nil
	case types.Object:
		return c.mapToGo(tv.Attributes())
	case types.Map:
		return c.mapToGo(tv.Elements())
	case types.List:
		return c.sliceToGo(tv.Elements())
	case types.Tuple:
		return c.sliceToGo(tv.Elements())
	case types.Set:
		return c.sliceToGo(tv.Elements())
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// numberToGo keeps integers integral: Kubernetes schemas distinguish
// integer from number and JSON 3.0 would fail an integer field.
func numberToGo(f *big.Float) any {
	if f.IsInt() {
		if i, acc := f.Int64(); acc == big.Exact {
			return i
		}
	}
	v, _ := f.Float64()
	return v
}

func (c goConverter) mapToGo(elems map[string]attr.Value) (map[string]any, error) {
	out := make(map[string]any, len(elems))
	for k, e := range elems {
		g, err := c.convert(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		if g != nil || c.keepNulls {
			out[k] = g
		}
	}
	return out, nil
}

func (c goConverter) sliceToGo(elems []attr.Value) ([]any, error) {
	out := make([]any, 0, len(elems))
	for i, e := range elems {
		g, err := c.convert(e)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// fromGo converts a JSON-shaped Go value to a Terraform value. When like (a
// prior value of the same attribute) has a compatible shape, its types are
// reused: a list stays a list and a map stays a map, so a refresh never
// turns an unchanged value into a "different" one of another type.
func fromGo(ctx context.Context, v any, like attr.Value) attr.Value {
	if d, ok := like.(types.Dynamic); ok {
		like = d.UnderlyingValue()
	}
	switch g := v.(type) {
	case nil:
		return nullLike(like)
	case map[string]any:
		return objectFromGo(ctx, g, like)
	case []any:
		return listFromGo(ctx, g, like)
	case string:
		return types.StringValue(g)
	case bool:
		return types.BoolValue(g)
	case int64:
		return types.NumberValue(new(big.Float).SetInt64(g))
	case int:
		return types.NumberValue(new(big.Float).SetInt64(int64(g)))
	case float64:
		return types.NumberValue(big.NewFloat(g))
	}
	return types.StringValue(fmt.Sprint(v))
}

func nullLike(like attr.Value) attr.Value {
	if like != nil && like.IsNull() {
		return like
	}
	return types.DynamicNull()
}

func objectFromGo(ctx context.Context, m map[string]any, like attr.Value) attr.Value {
	if lm, ok := like.(types.Map); ok {
		elems := make(map[string]attr.Value, len(m))
		elemLike := anyElement(lm.Elements())
		for k, e := range m {
			elems[k] = fromGo(ctx, e, elemLike)
		}
		if mv, diags := types.MapValue(lm.ElementType(ctx), elems); !diags.HasError() {
			return mv
		}
	}
	var likeAttrs map[string]attr.Value
	if lo, ok := like.(types.Object); ok {
		likeAttrs = lo.Attributes()
	}
	attrs := make(map[string]attr.Value, len(m))
	attrTypes := make(map[string]attr.Type, len(m))
	for _, k := range sortedKeys(m) {
		val := fromGo(ctx, m[k], likeAttrs[k])
		attrs[k] = val
		attrTypes[k] = val.Type(ctx)
	}
	// Kubernetes drops explicit nulls (yamldecode keeps them, e.g.
	// `creationTimestamp: null`); keep the prior nulls so the value's type
	// does not change under the user.
	for k, v := range likeAttrs {
		if _, ok := attrs[k]; !ok && v.IsNull() {
			attrs[k] = v
			attrTypes[k] = v.Type(ctx)
		}
	}
	return basetypes.NewObjectValueMust(attrTypes, attrs)
}

func listFromGo(ctx context.Context, s []any, like attr.Value) attr.Value {
	var likeElems []attr.Value
	switch l := like.(type) {
	case types.List:
		if lv, ok := typedList(ctx, s, l.ElementType(ctx), anyElementOf(l.Elements())); ok {
			return lv
		}
	case types.Set:
		elems := make([]attr.Value, 0, len(s))
		for _, e := range s {
			elems = append(elems, fromGo(ctx, e, anyElementOf(l.Elements())))
		}
		if sv, diags := types.SetValue(l.ElementType(ctx), elems); !diags.HasError() {
			return sv
		}
	case types.Tuple:
		likeElems = l.Elements()
	}
	elems := make([]attr.Value, 0, len(s))
	elemTypes := make([]attr.Type, 0, len(s))
	for i, e := range s {
		var el attr.Value
		if i < len(likeElems) {
			el = likeElems[i]
		}
		val := fromGo(ctx, e, el)
		elems = append(elems, val)
		elemTypes = append(elemTypes, val.Type(ctx))
	}
	return basetypes.NewTupleValueMust(elemTypes, elems)
}

func typedList(ctx context.Context, s []any, elemType attr.Type, like attr.Value) (attr.Value, bool) {
	elems := make([]attr.Value, 0, len(s))
	for _, e := range s {
		elems = append(elems, fromGo(ctx, e, like))
	}
	lv, diags := types.ListValue(elemType, elems)
	return lv, !diags.HasError()
}

func anyElement(m map[string]attr.Value) attr.Value {
	for _, k := range sortedKeys(m) {
		return m[k]
	}
	return nil
}

func anyElementOf(s []attr.Value) attr.Value {
	if len(s) > 0 {
		return s[0]
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
