package emulator

import "testing"

func TestSetConditionTransitionModes(t *testing.T) {
	fixClock(t, "2026-01-01T00:00:00Z")
	status := map[string]any{}
	if !setCondition(status, condition{Type: "Ready", Status: "False", Reason: "A", Message: "a"}, onAnyChange) {
		t.Fatal("adding must report a change")
	}
	if setCondition(status, condition{Type: "Ready", Status: "False", Reason: "A", Message: "a"}, onAnyChange) {
		t.Fatal("the same condition must not report a change")
	}
	fixClock(t, "2026-01-01T00:00:10Z")
	setCondition(status, condition{Type: "Ready", Status: "False", Reason: "B", Message: "b"}, onStatusChange)
	c, _ := findCondition(status, "Ready")
	if c["reason"] != "B" || c["lastTransitionTime"] != "2026-01-01T00:00:00Z" {
		t.Fatalf("metav1 semantics keep the time on a reason change: %v", c)
	}
	setCondition(status, condition{Type: "Ready", Status: "False", Reason: "C", Message: "c"}, onAnyChange)
	c, _ = findCondition(status, "Ready")
	if c["lastTransitionTime"] != "2026-01-01T00:00:10Z" {
		t.Fatalf("cluster-api semantics move the time on a reason change: %v", c)
	}
	setCondition(status, condition{Type: "Other", Status: "True"}, onAnyChange)
	setCondition(status, condition{Type: "Ready", Status: "True", Reason: "D"}, onStatusChange)
	list := status["conditions"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["type"] != "Ready" {
		t.Fatalf("replaced in place: %v", list)
	}
	if !conditionIs(status, "Ready", "True") || conditionReason(status, "Ready") != "D" {
		t.Fatal("readers")
	}
	if !removeCondition(status, "Ready") || removeCondition(status, "Ready") {
		t.Fatal("remove")
	}
}
