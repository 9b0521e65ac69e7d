package kube

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ObjectCondition is one entry of status.conditions, read without assuming a
// Go type for the object.
type ObjectCondition struct {
	Type               string
	Status             string // "True", "False" or "Unknown"
	Reason             string
	Message            string
	LastTransitionTime string
	ObservedGeneration int64 // 0 when the condition does not record it
}

// GenerationObserved reports whether the controller has seen the current
// spec: true when the object has no status.observedGeneration at all (the
// controller does not publish it, so there is nothing to wait for), else
// observedGeneration >= metadata.generation. A nil object has not caught up.
func GenerationObserved(obj *unstructured.Unstructured) bool {
	if obj == nil {
		return false
	}
	observed, ok := nestedInt64(obj.Object, "status", "observedGeneration")
	if !ok {
		return true
	}
	return observed >= obj.GetGeneration()
}

// Conditions returns status.conditions in order; malformed entries are skipped.
func Conditions(obj *unstructured.Unstructured) []ObjectCondition {
	if obj == nil {
		return nil
	}
	raw, found, err := unstructured.NestedSlice(obj.Object, "status", "conditions")
	if !found || err != nil {
		return nil
	}
	out := make([]ObjectCondition, 0, len(raw))
	for _, item := range raw {
		if m, ok := item.(map[string]any); ok {
			out = append(out, conditionFrom(m))
		}
	}
	return out
}

// FindCondition returns the condition of the given type from status.conditions.
func FindCondition(obj *unstructured.Unstructured, condType string) (ObjectCondition, bool) {
	for _, c := range Conditions(obj) {
		if c.Type == condType {
			return c, true
		}
	}
	return ObjectCondition{}, false
}

// IsTrue reports whether the condition's status is "True".
func (c ObjectCondition) IsTrue() bool { return c.Status == "True" }

// IsFalse reports whether the condition's status is "False".
func (c ObjectCondition) IsFalse() bool { return c.Status == "False" }

// TransitionedBefore reports whether the condition last changed before t.
// Kubernetes stores these times with one-second precision, so a change in
// the same second as t is not "before" it.
func (c ObjectCondition) TransitionedBefore(t time.Time) bool {
	ts, err := time.Parse(time.RFC3339, c.LastTransitionTime)
	if err != nil {
		return false
	}
	return ts.Before(t.Truncate(time.Second))
}

// String renders the condition for messages, e.g.
// `Ready=False (Reason: "WorkflowFailed", "pipeline step 2 exited 1")`.
func (c ObjectCondition) String() string {
	s := c.Type + "=" + c.Status
	var details []string
	if c.Reason != "" {
		details = append(details, fmt.Sprintf("Reason: %q", c.Reason))
	}
	if c.Message != "" {
		details = append(details, fmt.Sprintf("%q", c.Message))
	}
	if len(details) > 0 {
		s += " (" + strings.Join(details, ", ") + ")"
	}
	return s
}

func conditionFrom(m map[string]any) ObjectCondition {
	str := func(key string) string {
		s, _ := m[key].(string)
		return s
	}
	gen, _ := nestedInt64(m, "observedGeneration")
	return ObjectCondition{
		Type:               str("type"),
		Status:             str("status"),
		Reason:             str("reason"),
		Message:            str("message"),
		LastTransitionTime: str("lastTransitionTime"),
		ObservedGeneration: gen,
	}
}

// DescribeObject summarises what a waiter last saw, for timeout messages:
// generation, observedGeneration, phase and conditions.
func DescribeObject(obj *unstructured.Unstructured) string {
	if obj == nil {
		return "the object does not exist"
	}
	parts := []string{fmt.Sprintf("generation %d", obj.GetGeneration())}
	if observed, ok := nestedInt64(obj.Object, "status", "observedGeneration"); ok {
		parts = append(parts, fmt.Sprintf("status.observedGeneration %d", observed))
	}
	if phase, ok, _ := unstructured.NestedString(obj.Object, "status", "phase"); ok && phase != "" {
		parts = append(parts, fmt.Sprintf("status.phase %q", phase))
	}
	if ts := obj.GetDeletionTimestamp(); ts != nil {
		parts = append(parts, fmt.Sprintf("being deleted since %s (finalizers: %s)",
			ts.UTC().Format("2006-01-02T15:04:05Z"), strings.Join(obj.GetFinalizers(), ", ")))
	}
	conds := Conditions(obj)
	if len(conds) == 0 {
		parts = append(parts, "no status conditions")
	} else {
		rendered := make([]string, len(conds))
		for i, c := range conds {
			rendered[i] = c.String()
		}
		parts = append(parts, "conditions: "+strings.Join(rendered, "; "))
	}
	return strings.Join(parts, ", ")
}

// nestedInt64 reads an integer field whether it was decoded as int64 (the
// dynamic client) or float64 (encoding/json into map[string]any).
func nestedInt64(m map[string]any, fields ...string) (int64, bool) {
	v, found, err := unstructured.NestedFieldNoCopy(m, fields...)
	if !found || err != nil {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		return int64(n), true
	}
	return 0, false
}
