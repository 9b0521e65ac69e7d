package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/fieldmask"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// buildRequest turns the planned configuration into the object to apply.
// Only what the user set is sent, so server-side apply owns exactly that.
func buildRequest(m *resourceRequestModel, gvk schema.GroupVersionKind) (*unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	obj.SetGroupVersionKind(gvk)
	obj.SetName(m.Name.ValueString())
	obj.SetNamespace(m.Namespace.ValueString())
	labels, err := stringMap(m.Labels)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	annotations, err := stringMap(m.Annotations)
	if err != nil {
		return nil, fmt.Errorf("annotations: %w", err)
	}
	if len(labels) > 0 {
		obj.SetLabels(labels)
	}
	if len(annotations) > 0 {
		obj.SetAnnotations(annotations)
	}
	spec, err := toGo(m.Spec)
	if err != nil {
		return nil, err
	}
	if spec != nil {
		if _, ok := spec.(map[string]any); !ok {
			return nil, fmt.Errorf("spec must be an object (a map of fields), got %T", spec)
		}
		obj.Object["spec"] = spec
	}
	return obj, nil
}

func stringMap(m types.Map) (map[string]string, error) {
	if m.IsNull() || m.IsUnknown() {
		return nil, nil
	}
	out := make(map[string]string, len(m.Elements()))
	for k, v := range m.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsUnknown() {
			return nil, fmt.Errorf("value of %q is not a known string", k)
		}
		out[k] = s.ValueString()
	}
	return out, nil
}

// projectedSpec is the live spec restricted to the fields the configuration
// manages: the prior value's fields, or on import the fields the object's
// writers own (all of spec when it has no managed fields).
func projectedSpec(ctx context.Context, obj *unstructured.Unstructured, prior types.Dynamic, importing bool) types.Dynamic {
	live, found, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec")
	var importMask fieldmask.Mask
	if owned, ok := fieldmask.FromAllManagedFields(managedFields(obj), "spec"); ok && importing {
		importMask = owned
	}
	return projectedMasked(ctx, live, found, prior, importing, importMask)
}

// projectedValue is projectedSpec for values users own whole (a Promise's
// API, workflows and dependencies): on import the live value is taken as is.
func projectedValue(ctx context.Context, live any, found bool, prior types.Dynamic, importing bool) types.Dynamic {
	return projectedMasked(ctx, live, found, prior, importing, nil)
}

func projectedMasked(ctx context.Context, live any, found bool, prior types.Dynamic, importing bool, importMask fieldmask.Mask) types.Dynamic {
	switch {
	case !importing && prior.IsNull():
		return types.DynamicNull() // not managed
	case importing && !found:
		return types.DynamicNull()
	case !found && isEmptyCollection(prior):
		// The API server may store an empty value as no field at all (it
		// does for a Promise's dependencies: []): absent is what was
		// configured.
		return prior
	case !found:
		live = map[string]any{} // deleted out of band: the plan puts it back
	}
	mask := importMask
	if !importing {
		if priorGo, err := toGo(prior); err == nil {
			mask = fieldmask.FromValue(priorGo)
		}
	}
	value := fromGo(ctx, fieldmask.Project(live, mask), prior)
	if d, ok := value.(types.Dynamic); ok {
		return d
	}
	return types.DynamicValue(value)
}

// projectedStringMap keeps only the keys the configuration manages, so
// Kratix's own labels and annotations never show as drift. On import those
// are the keys the object's writers own, except Kratix's and kubectl's own.
func projectedStringMap(obj *unstructured.Unstructured, live map[string]string, prior types.Map, field string, importing bool) types.Map {
	keys := map[string]bool{}
	switch {
	case importing:
		if owned, ok := fieldmask.FromAllManagedFields(managedFields(obj), "metadata"); ok {
			for k := range owned[field] {
				// A key the caller took out of live (a Promise's version
				// label) is not this map's, nor are Kratix's own keys.
				if _, ok := live[k]; ok && !kratix.IsKratixMetadata(k) {
					keys[k] = true
				}
			}
		}
		if len(keys) == 0 {
			return types.MapNull(types.StringType)
		}
	case prior.IsNull() || prior.IsUnknown():
		return types.MapNull(types.StringType)
	default:
		for k := range prior.Elements() {
			keys[k] = true
		}
	}
	out := make(map[string]attr.Value, len(keys))
	for k := range keys {
		if v, ok := live[k]; ok {
			out[k] = types.StringValue(v)
		}
	}
	return types.MapValueMust(types.StringType, out)
}

func managedFields(obj *unstructured.Unstructured) []any {
	raw, _, _ := unstructured.NestedSlice(obj.Object, "metadata", "managedFields")
	return raw
}

// requestIdentity is what an import ID names.
type requestIdentity struct {
	Promise, APIVersion, Kind, Namespace, Name string
}

func requestID(m *resourceRequestModel) string {
	if !m.Promise.IsNull() && m.Promise.ValueString() != "" {
		return strings.Join([]string{m.Promise.ValueString(), m.Namespace.ValueString(), m.Name.ValueString()}, "/")
	}
	return strings.Join([]string{m.APIVersion.ValueString(), m.Kind.ValueString(), m.Namespace.ValueString(), m.Name.ValueString()}, "/")
}

// parseRequestID accepts `<promise>/<namespace>/<name>` and
// `<group>/<version>/<kind>/<namespace>/<name>`.
func parseRequestID(id string) (requestIdentity, error) {
	parts := strings.Split(id, "/")
	for _, p := range parts {
		if p == "" {
			parts = nil
			break
		}
	}
	switch len(parts) {
	case 3:
		return requestIdentity{Promise: parts[0], Namespace: parts[1], Name: parts[2]}, nil
	case 5:
		return requestIdentity{APIVersion: parts[0] + "/" + parts[1], Kind: parts[2], Namespace: parts[3], Name: parts[4]}, nil
	}
	return requestIdentity{}, fmt.Errorf("import ID %q is not `<promise>/<namespace>/<name>` (e.g. redis/default/example) "+
		"or `<group>/<version>/<kind>/<namespace>/<name>` (e.g. marketplace.kratix.io/v1alpha1/redis/default/example)", id)
}

// deleteOptions uses background propagation: Kratix's own finalizers order
// the cleanup, and a foreground deletion would add a finalizer of its own
// that waits on objects Kratix is still deleting.
func deleteOptions() metav1.DeleteOptions {
	policy := metav1.DeletePropagationBackground
	return metav1.DeleteOptions{PropagationPolicy: &policy}
}

// isEmptyCollection reports whether v is [] or {} (of any collection type).
func isEmptyCollection(v types.Dynamic) bool {
	if v.IsNull() || v.IsUnknown() {
		return false
	}
	switch tv := v.UnderlyingValue().(type) {
	case types.Tuple:
		return len(tv.Elements()) == 0
	case types.List:
		return len(tv.Elements()) == 0
	case types.Set:
		return len(tv.Elements()) == 0
	case types.Object:
		return len(tv.Attributes()) == 0
	case types.Map:
		return len(tv.Elements()) == 0
	}
	return false
}
