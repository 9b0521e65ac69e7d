package emulator

import (
	"testing"
	"time"
)

func fixClock(t *testing.T, at string) {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	old := now
	now = func() time.Time { return ts }
	t.Cleanup(func() { now = old })
}

func TestMarkCompleted(t *testing.T) {
	fixClock(t, "2026-01-02T03:04:05Z")
	for _, tc := range []struct{ wfType, before, after string }{
		{workflowResource, "Pending", "Resource requested"},
		{workflowPromise, "Pending", "Promise configured"},
		{workflowResource, "my message", "my message"},
	} {
		status := map[string]any{"message": tc.before, "kratix": map[string]any{"workflows": map[string]any{"suspendedGeneration": int64(2)}}}
		markCompleted(status, tc.wfType)
		if status["message"] != tc.after {
			t.Errorf("%s %q: message %q, want %q", tc.wfType, tc.before, status["message"], tc.after)
		}
		c, ok := findCondition(status, condConfigureWorkflowCompleted)
		if !ok || c["status"] != "True" || c["reason"] != "PipelinesExecutedSuccessfully" || c["message"] != "Pipelines completed" ||
			c["lastTransitionTime"] != "2026-01-02T03:04:05Z" {
			t.Errorf("condition: %v", c)
		}
		if _, found := nestedMap(status, "kratix", "workflows")["suspendedGeneration"]; found {
			t.Error("suspendedGeneration must be cleared")
		}
	}
}

func TestPipelinePhases(t *testing.T) {
	fixClock(t, "2026-01-02T03:04:05Z")
	status := map[string]any{}
	resetPipelines(status, []string{"a", "b"})
	if pipelinePhase(status, "a") != phasePending || pipelinePhase(status, "b") != phasePending {
		t.Fatalf("reset: %v", status)
	}
	setPipelinePhase(status, "a", phaseRunning, "")
	markPipelineSuspended(status, "a", "waiting", 3)
	entries := pipelineEntries(status)
	if entries[0]["phase"] != phaseSuspended || entries[0]["message"] != "waiting" {
		t.Fatalf("suspended: %v", entries[0])
	}
	if nestedMap(status, "kratix", "workflows")["suspendedGeneration"] != int64(3) {
		t.Fatal("suspendedGeneration not set")
	}
	clearPipelineSuspension(status, "a")
	if e := pipelineEntries(status)[0]; e["phase"] != phaseRunning || e["message"] != nil {
		t.Fatalf("cleared: %v", e)
	}
	setPipelinePhase(status, "b", phaseFailed, "boom")
	if e := pipelineEntries(status)[1]; e["phase"] != phaseFailed || e["message"] != "boom" {
		t.Fatalf("failed: %v", e)
	}
	// Pipelines not in the list (delete pipelines) are left alone.
	markPipelineSuspended(status, "cleanup", "x", 4)
	clearPipelineSuspension(status, "cleanup")
	if len(pipelineEntries(status)) != 2 || nestedMap(status, "kratix", "workflows")["suspendedGeneration"] != int64(3) {
		t.Fatalf("unknown pipeline changed status: %v", status)
	}
}

func TestMergeStatusKeepsConditionOrder(t *testing.T) {
	existing := map[string]any{"conditions": []any{
		map[string]any{"type": "A", "status": "True"}, map[string]any{"type": "B", "status": "True"},
	}}
	merged := mergeStatus(existing, map[string]any{"conditions": []any{
		map[string]any{"type": "C", "status": "True"}, map[string]any{"type": "A", "status": "False"},
	}})
	var types []string
	for _, c := range merged["conditions"].([]any) {
		types = append(types, c.(map[string]any)["type"].(string)+"="+c.(map[string]any)["status"].(string))
	}
	if got := types; len(got) != 3 || got[0] != "A=False" || got[1] != "B=True" || got[2] != "C=True" {
		t.Fatalf("got %v", got)
	}
}
