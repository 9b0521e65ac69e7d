package emulator

import (
	"time"
)

// condition is one entry of status.conditions, in the metav1.Condition shape
// Kratix writes (type, status, reason, message, lastTransitionTime).
type condition struct {
	Type, Status, Reason, Message string
}

// transitionMode says when a condition's lastTransitionTime moves.
type transitionMode int

const (
	// onStatusChange is metav1 SetStatusCondition: only a status change moves
	// the time (Promise, Destination, state stores, Works).
	onStatusChange transitionMode = iota
	// onAnyChange is the cluster-api Set Kratix uses on resource requests: a
	// new reason or message also moves it.
	onAnyChange
)

// now is the clock for every timestamp the emulator writes; tests replace it.
var now = func() time.Time { return time.Now().UTC() }

func timestamp() string { return now().Format(time.RFC3339) }

// findCondition returns the condition of that type from a status map.
func findCondition(status map[string]any, condType string) (map[string]any, bool) {
	list, _ := status["conditions"].([]any)
	for _, item := range list {
		if m, ok := item.(map[string]any); ok && m["type"] == condType {
			return m, true
		}
	}
	return nil, false
}

// conditionIs reports whether the condition exists with that status.
func conditionIs(status map[string]any, condType, want string) bool {
	c, ok := findCondition(status, condType)
	return ok && c["status"] == want
}

// conditionReason returns the reason of a condition, "" when absent.
func conditionReason(status map[string]any, condType string) string {
	c, _ := findCondition(status, condType)
	s, _ := c["reason"].(string)
	return s
}

// setCondition writes c into a status map, replacing the entry of the same
// type in place (so the order of conditions stays stable) or appending it.
// It returns true when anything changed.
func setCondition(status map[string]any, c condition, mode transitionMode) bool {
	list, _ := status["conditions"].([]any)
	entry := map[string]any{
		"type": c.Type, "status": c.Status, "reason": c.Reason, "message": c.Message,
		"lastTransitionTime": timestamp(),
	}
	for i, item := range list {
		old, ok := item.(map[string]any)
		if !ok || old["type"] != c.Type {
			continue
		}
		if sameState(old, c, mode) {
			entry["lastTransitionTime"] = old["lastTransitionTime"]
		}
		if sameState(old, c, onAnyChange) && old["lastTransitionTime"] == entry["lastTransitionTime"] {
			return false
		}
		list[i] = entry
		status["conditions"] = list
		return true
	}
	status["conditions"] = append(list, entry)
	return true
}

func sameState(old map[string]any, c condition, mode transitionMode) bool {
	if old["status"] != c.Status {
		return false
	}
	if mode == onStatusChange {
		return true
	}
	return old["reason"] == c.Reason && old["message"] == c.Message
}

// removeCondition deletes the condition of that type; true when it existed.
func removeCondition(status map[string]any, condType string) bool {
	list, _ := status["conditions"].([]any)
	for i, item := range list {
		if m, ok := item.(map[string]any); ok && m["type"] == condType {
			status["conditions"] = append(list[:i:i], list[i+1:]...)
			return true
		}
	}
	return false
}
