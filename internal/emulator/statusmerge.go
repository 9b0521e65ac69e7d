package emulator

import (
	"errors"

	"k8s.io/apimachinery/pkg/runtime"
)

// errKratixStatus is the status-writer's refusal of a status.yaml that
// touches status.kratix (work-creator/cmd/update_status.go).
var errKratixStatus = errors.New("'kratix' is a kratix managed status field that cannot be updated via workflows; " +
	"remove update to 'kratix' from the '/kratix/metadata/status.yaml' file")

// mergeStatus is the status-writer's merge (§5.3): keys of incoming
// overwrite existing ones, except conditions, which merge by type. Neither
// input is modified. Unlike Kratix, which rebuilds the merged conditions
// from a map in random order, existing conditions keep their position and
// new ones are appended, so that repeated runs give the same object.
func mergeStatus(existing, incoming map[string]any) map[string]any {
	out := make(map[string]any, len(existing)+len(incoming))
	for k, v := range existing {
		out[k] = v
	}
	for k, v := range incoming {
		if k == "conditions" {
			old, okOld := out[k].([]any)
			neu, okNew := v.([]any)
			if okOld && okNew {
				out[k] = mergeConditions(old, neu)
				continue
			}
		}
		out[k] = runtime.DeepCopyJSONValue(v)
	}
	return out
}

func mergeConditions(existing, incoming []any) []any {
	out := make([]any, 0, len(existing)+len(incoming))
	index := map[string]int{}
	add := func(item any) {
		m, ok := item.(map[string]any)
		if !ok {
			return
		}
		t, ok := m["type"].(string)
		if !ok {
			return
		}
		if i, seen := index[t]; seen {
			out[i] = runtime.DeepCopyJSONValue(m)
			return
		}
		index[t] = len(out)
		out = append(out, runtime.DeepCopyJSONValue(m))
	}
	for _, item := range existing {
		add(item)
	}
	for _, item := range incoming {
		add(item)
	}
	return out
}

// applyPipelineStatus is what the status-writer does with a status.yaml
// for one object: it refuses `kratix`, keeps only `message` for a Promise
// (the Promise CRD prunes the rest), and merges the rest for a request.
func applyPipelineStatus(status, incoming map[string]any, workflowType string) (map[string]any, error) {
	if _, ok := incoming["kratix"]; ok {
		return nil, errKratixStatus
	}
	if workflowType == workflowPromise {
		only := map[string]any{}
		if msg, ok := incoming["message"]; ok {
			only["message"] = msg
		}
		incoming = only
	}
	return mergeStatus(status, incoming), nil
}

// markCompleted is MarkAsCompleted: the last pipeline's status-writer sets
// ConfigureWorkflowCompleted=True and turns a "Pending" message into
// "Resource requested" or "Promise configured".
func markCompleted(status map[string]any, workflowType string) {
	if status["message"] == msgPending {
		status["message"] = msgResourceRequested
		if workflowType == workflowPromise {
			status["message"] = msgPromiseConfigured
		}
	}
	if wf := nestedMap(status, "kratix", "workflows"); wf != nil {
		delete(wf, "suspendedGeneration")
		setNested(status, wf, "kratix", "workflows")
	}
	setCondition(status, condition{Type: condConfigureWorkflowCompleted, Status: "True",
		Reason: "PipelinesExecutedSuccessfully", Message: msgPipelinesCompleted}, onAnyChange)
}

// pipelineEntries returns status.kratix.workflows.pipelines[] as maps.
func pipelineEntries(status map[string]any) []map[string]any {
	var out []map[string]any
	for _, item := range nestedSlice(status, "kratix", "workflows", "pipelines") {
		if m, ok := item.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func setPipelineEntries(status map[string]any, entries []map[string]any) {
	list := make([]any, len(entries))
	for i, e := range entries {
		list[i] = e
	}
	wf := nestedMap(status, "kratix", "workflows")
	if wf == nil {
		wf = map[string]any{}
	}
	wf["pipelines"] = list
	setNested(status, wf, "kratix", "workflows")
}

// resetPipelines sets every configure pipeline to Pending, as at the start
// of a new run.
func resetPipelines(status map[string]any, names []string) {
	entries := make([]map[string]any, len(names))
	for i, n := range names {
		entries[i] = map[string]any{"name": n, "phase": phasePending, "lastTransitionTime": timestamp()}
	}
	setPipelineEntries(status, entries)
}

// setPipelinePhase moves one pipeline to a phase; message "" removes it.
// Attempts and nextRetryAt only belong to a suspended retry, so any other
// phase clears them. It is a no-op when the entry already says so.
func setPipelinePhase(status map[string]any, name, phase, message string) {
	entries := pipelineEntries(status)
	for _, e := range entries {
		if e["name"] != name {
			continue
		}
		if e["phase"] == phase && (e["message"] == message || e["message"] == nil && message == "") {
			return
		}
		e["phase"], e["lastTransitionTime"] = phase, timestamp()
		delete(e, "message")
		if message != "" {
			e["message"] = message
		}
		if phase != phaseSuspended {
			delete(e, "attempts")
			delete(e, "nextRetryAt")
		}
		setPipelineEntries(status, entries)
		return
	}
}

// pipelinePhase returns a pipeline's phase, "" when unknown.
func pipelinePhase(status map[string]any, name string) string {
	for _, e := range pipelineEntries(status) {
		if e["name"] == name {
			s, _ := e["phase"].(string)
			return s
		}
	}
	return ""
}

// markPipelineSuspended is the status-writer's workflow-control suspend.
func markPipelineSuspended(status map[string]any, name, message string, generation int64) {
	if pipelinePhase(status, name) == "" {
		return // a delete pipeline: not listed in status
	}
	setPipelinePhase(status, name, phaseSuspended, message)
	wf := nestedMap(status, "kratix", "workflows")
	if wf == nil {
		return
	}
	wf["suspendedGeneration"] = generation
	setNested(status, wf, "kratix", "workflows")
}

// clearPipelineSuspension is what the status-writer does when the run did
// not suspend: the pipeline goes back to Running (the controller marks it
// Succeeded once it sees the Job complete). Pipelines not listed (delete
// pipelines) are left alone.
func clearPipelineSuspension(status map[string]any, name string) {
	if pipelinePhase(status, name) != "" {
		setPipelinePhase(status, name, phaseRunning, "")
	}
}

// setNested sets a value in a map of maps, creating the path.
func setNested(obj map[string]any, value any, fields ...string) {
	m := obj
	for _, f := range fields[:len(fields)-1] {
		next, ok := m[f].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[f] = next
		}
		m = next
	}
	m[fields[len(fields)-1]] = value
}
