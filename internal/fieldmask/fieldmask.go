// Package fieldmask projects a live Kubernetes object onto the fields a
// configuration manages, so that server-side defaults, fields other
// controllers write, and status never show up as drift, while a change to a
// field the user set does.
package fieldmask

import (
	"encoding/json"
	"strings"
)

// Mask is a tree of field names. A nil child means "the whole value".
type Mask map[string]Mask

// FromValue builds the mask of the keys present in v (typically the spec a
// user configured). Lists are masked as a whole, as Kubernetes treats CRD
// lists without list-type markers as atomic.
func FromValue(v any) Mask {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	mask := make(Mask, len(m))
	for k, child := range m {
		mask[k] = FromValue(child)
	}
	return mask
}

// FromManagedFields builds the mask of the fields that manager owns under
// the given top-level path (e.g. "spec"), from metadata.managedFields.
// found is false when the manager owns nothing there.
func FromManagedFields(managedFields []any, manager string, top string) (mask Mask, found bool) {
	return fromManagers(managedFields, func(m any) bool { return m == manager }, top)
}

// FromAllManagedFields is the mask of the fields any manager owns under
// top: what the object's writers set, whoever they were.
func FromAllManagedFields(managedFields []any, top string) (mask Mask, found bool) {
	return fromManagers(managedFields, func(any) bool { return true }, top)
}

func fromManagers(managedFields []any, include func(manager any) bool, top string) (mask Mask, found bool) {
	for _, entry := range managedFields {
		e, ok := entry.(map[string]any)
		if !ok || !include(e["manager"]) {
			continue
		}
		fields, ok := e["fieldsV1"].(map[string]any)
		if !ok {
			continue
		}
		sub, ok := fields["f:"+top].(map[string]any)
		if !ok {
			continue
		}
		mask = merge(mask, fromFieldsV1(sub))
		found = true
	}
	return mask, found
}

// fromFieldsV1 reads the managed-fields set format: "f:name" is a field,
// "." the node itself, "k:", "v:" and "i:" list members. A list member makes
// the whole list owned here, which is what a user who set a list expects.
func fromFieldsV1(node map[string]any) Mask {
	mask := Mask{}
	for key, child := range node {
		name, isField := strings.CutPrefix(key, "f:")
		if !isField {
			if key != "." {
				return nil // a list: take it whole
			}
			continue
		}
		childMap, _ := child.(map[string]any)
		if len(childMap) == 0 {
			mask[name] = nil
			continue
		}
		mask[name] = fromFieldsV1(childMap)
	}
	return mask
}

func merge(a, b Mask) Mask {
	if a == nil {
		return b
	}
	for k, v := range b {
		if existing, ok := a[k]; ok && existing != nil && v != nil {
			a[k] = merge(existing, v)
		} else {
			a[k] = v
		}
	}
	return a
}

// Project keeps the parts of v that mask names. Keys in the mask that are
// missing from v are left out, so a field deleted out of band shows as a
// change back to the configured value.
func Project(v any, mask Mask) any {
	if mask == nil {
		return v
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(mask))
	for k, childMask := range mask {
		if child, ok := m[k]; ok {
			out[k] = Project(child, childMask)
		}
	}
	return out
}

// Equal compares JSON-shaped values, treating int64 and float64 alike.
func Equal(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
