package kratix

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Condition types Kratix writes (kratix-api.md §3.3, §5.4, §6, §7).
const (
	CondAvailable                  = "Available"
	CondConfigureWorkflowCompleted = "ConfigureWorkflowCompleted"
	CondWorksSucceeded             = "WorksSucceeded"
	CondReconciled                 = "Reconciled"
	CondDeleteWorkflowCompleted    = "DeleteWorkflowCompleted"
	CondRequirementsFulfilled      = "RequirementsFulfilled"
	CondPromiseAvailable           = "PromiseAvailable"
	CondReady                      = "Ready"
)

// Reasons the provider acts on.
const (
	ReasonConfigureWorkflowFailed = "ConfigureWorkflowFailed"
	ReasonPipelinesInProgress     = "PipelinesInProgress"
	ReasonDeleteWorkflowFailed    = "DeleteWorkflowFailed"
	ReasonDeleteWorkflowSuspended = "DeleteWorkflowSuspended"
)

// Condition is one entry of status.conditions.
type Condition struct {
	Type               string
	Status             string
	Reason             string
	Message            string
	LastTransitionTime string
}

// IsTrue reports status "True".
func (c Condition) IsTrue() bool { return c.Status == "True" }

// IsFalse reports status "False".
func (c Condition) IsFalse() bool { return c.Status == "False" }

// TransitionedBefore reports whether the condition last changed before t.
// Kubernetes stores these times with one-second precision, so a change in the
// same second as t is not "before" it.
func (c Condition) TransitionedBefore(t time.Time) bool {
	ts, err := time.Parse(time.RFC3339, c.LastTransitionTime)
	if err != nil {
		return false
	}
	return ts.Before(t.Truncate(time.Second))
}

// Conditions reads status.conditions in order.
func Conditions(obj *unstructured.Unstructured) []Condition {
	raw, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	out := make([]Condition, 0, len(raw))
	for _, item := range raw {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, Condition{
			Type:               str(m["type"]),
			Status:             str(m["status"]),
			Reason:             str(m["reason"]),
			Message:            str(m["message"]),
			LastTransitionTime: str(m["lastTransitionTime"]),
		})
	}
	return out
}

// FindCondition returns the condition of the given type.
func FindCondition(obj *unstructured.Unstructured, condType string) (Condition, bool) {
	for _, c := range Conditions(obj) {
		if c.Type == condType {
			return c, true
		}
	}
	return Condition{}, false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
