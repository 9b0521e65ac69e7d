package kratix

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func workflowJob(action string, status map[string]any) *unstructured.Unstructured {
	job := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "batch/v1", "kind": "Job",
		"metadata": map[string]any{"name": "kratix-job", "namespace": "default", "labels": map[string]any{
			LabelWorkflowAction: action, LabelPipelineName: "cleanup",
		}},
		"status": status,
	}}
	return job
}

func condition(typ string) map[string]any {
	return map[string]any{"type": typ, "status": "True", "reason": typ + "Reason", "message": "the " + typ + " message"}
}

// A Job Kratix suspended for a manual reconciliation was superseded by a
// new run; only a Failed condition is a failure of the pipeline.
func TestRunFromJobPhases(t *testing.T) {
	for _, tc := range []struct {
		name, action string
		status       map[string]any
		phase        string
	}{
		{"no conditions", "configure", map[string]any{}, PhaseRunning},
		{"failed", "configure", map[string]any{"conditions": []any{condition("Failed")}}, PhaseFailed},
		{"complete", "configure", map[string]any{"conditions": []any{condition("Complete")}}, PhaseSucceeded},
		{"suspended", "delete", map[string]any{"conditions": []any{condition("Suspended")}}, PhaseSuperseded},
		{"delete pod succeeded", "delete", map[string]any{"succeeded": int64(1)}, PhaseSucceeded},
		{"configure pod succeeded, not complete", "configure", map[string]any{"succeeded": int64(1)}, PhaseRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := RunFromJob(workflowJob(tc.action, tc.status))
			if run.Phase != tc.phase {
				t.Fatalf("phase %q, want %q", run.Phase, tc.phase)
			}
			if tc.phase == PhaseFailed && run.Message != "the Failed message" {
				t.Errorf("message %q, want the Failed condition's", run.Message)
			}
		})
	}
}
