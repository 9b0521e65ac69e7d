package kratix

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
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
	// CondWriteSucceeded is a WorkPlacement's: True once Kratix has written
	// its workloads to the Destination's state store.
	CondWriteSucceeded = "WriteSucceeded"
)

// Reasons the provider acts on.
const (
	ReasonConfigureWorkflowFailed = "ConfigureWorkflowFailed"
	ReasonPipelinesInProgress     = "PipelinesInProgress"
	ReasonDeleteWorkflowFailed    = "DeleteWorkflowFailed"
	ReasonDeleteWorkflowSuspended = "DeleteWorkflowSuspended"
)

// Condition is one entry of status.conditions; the generic reader lives in
// the kube package, Kratix adds only its condition types and reasons.
type Condition = kube.ObjectCondition

// Conditions reads status.conditions in order.
func Conditions(obj *unstructured.Unstructured) []Condition { return kube.Conditions(obj) }

// FindCondition returns the condition of the given type.
func FindCondition(obj *unstructured.Unstructured, condType string) (Condition, bool) {
	return kube.FindCondition(obj, condType)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
