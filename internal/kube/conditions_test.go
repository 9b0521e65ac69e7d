package kube

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func obj(m map[string]any) *unstructured.Unstructured { return &unstructured.Unstructured{Object: m} }

func TestGenerationObserved(t *testing.T) {
	cases := []struct {
		name string
		obj  *unstructured.Unstructured
		want bool
	}{
		{"nil object", nil, false},
		{"no status at all", obj(widget("w", "1", 3, 0, "")), true},
		{"status without observedGeneration", obj(widget("w", "1", 3, 0, "True")), true},
		{"behind", obj(widget("w", "1", 3, 2, "True")), false},
		{"caught up", obj(widget("w", "1", 3, 3, "True")), true},
		{"ahead (generation read from a stale cache)", obj(widget("w", "1", 3, 4, "")), true},
		{"float64 from encoding/json", obj(map[string]any{
			"metadata": map[string]any{"generation": int64(2)},
			"status":   map[string]any{"observedGeneration": float64(1)},
		}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := GenerationObserved(tc.obj); got != tc.want {
				t.Errorf("GenerationObserved = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFindCondition(t *testing.T) {
	o := obj(map[string]any{"status": map[string]any{"conditions": []any{
		map[string]any{"type": "ConfigureWorkflowCompleted", "status": "False", "reason": "PipelinesInProgress",
			"message": "Pipelines are still in progress", "lastTransitionTime": "2026-01-02T03:04:05Z", "observedGeneration": int64(4)},
		"not a map",
		map[string]any{"type": "Reconciled", "status": "True"},
	}}})

	c, ok := FindCondition(o, "ConfigureWorkflowCompleted")
	want := ObjectCondition{Type: "ConfigureWorkflowCompleted", Status: "False", Reason: "PipelinesInProgress",
		Message: "Pipelines are still in progress", LastTransitionTime: "2026-01-02T03:04:05Z", ObservedGeneration: 4}
	if !ok || c != want {
		t.Errorf("got %+v, %v; want %+v", c, ok, want)
	}
	if c.IsTrue() {
		t.Error("False condition reported true")
	}
	if r, ok := FindCondition(o, "Reconciled"); !ok || !r.IsTrue() {
		t.Errorf("Reconciled: %+v %v", r, ok)
	}
	if _, ok := FindCondition(o, "Ready"); ok {
		t.Error("found a condition that is not there")
	}
	if _, ok := FindCondition(nil, "Ready"); ok {
		t.Error("found a condition on a nil object")
	}
	if n := len(Conditions(o)); n != 2 {
		t.Errorf("Conditions returned %d entries, want 2 (malformed skipped)", n)
	}
}

func TestDescribeObject(t *testing.T) {
	if got := DescribeObject(nil); got != "the object does not exist" {
		t.Errorf("nil: %q", got)
	}
	got := DescribeObject(obj(widget("w", "1", 3, 2, "False")))
	for _, want := range []string{"generation 3", "status.observedGeneration 2", `Ready=False (Reason: "Testing", "ready is False")`} {
		if !strings.Contains(got, want) {
			t.Errorf("%q does not contain %q", got, want)
		}
	}
}
