package kratix

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Pipeline phases in status.kratix.workflows.pipelines[].
const (
	PhasePending   = "Pending"
	PhaseRunning   = "Running"
	PhaseSucceeded = "Succeeded"
	PhaseFailed    = "Failed"
	PhaseSuspended = "Suspended"
)

// PhaseSuperseded is a workflow Job Kratix suspended to start the pipeline
// again: it does so only when an object gets the manual-reconciliation
// label while its Job runs (lib/workflow/reconciler.go, suspendJob), and
// then creates a new Job. Not a failure of the pipeline.
const PhaseSuperseded = "Superseded"

// PipelineStatus is one configure pipeline's progress.
type PipelineStatus struct {
	Name               string
	Phase              string
	Message            string
	Attempts           int64
	NextRetryAt        string
	LastTransitionTime string
}

// Pipelines reads status.kratix.workflows.pipelines[] (Promise or request).
func Pipelines(obj *unstructured.Unstructured) []PipelineStatus {
	raw, _, _ := unstructured.NestedSlice(obj.Object, "status", "kratix", "workflows", "pipelines")
	out := make([]PipelineStatus, 0, len(raw))
	for _, item := range raw {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, PipelineStatus{
			Name:               str(m["name"]),
			Phase:              str(m["phase"]),
			Message:            str(m["message"]),
			Attempts:           toInt64(m["attempts"]),
			NextRetryAt:        str(m["nextRetryAt"]),
			LastTransitionTime: str(m["lastTransitionTime"]),
		})
	}
	return out
}

// FailedPipeline returns the first pipeline in phase Failed.
func FailedPipeline(obj *unstructured.Unstructured) (PipelineStatus, bool) {
	for _, p := range Pipelines(obj) {
		if p.Phase == PhaseFailed {
			return p, true
		}
	}
	return PipelineStatus{}, false
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}
