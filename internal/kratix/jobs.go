package kratix

import (
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Labels Kratix puts on every workflow Job (kratix-api.md §10).
const (
	LabelWorkflowType   = "kratix.io/workflow-type"
	LabelWorkflowAction = "kratix.io/workflow-action"
	LabelPipelineName   = "kratix.io/pipeline-name"
	LabelResourceName   = "kratix.io/resource-name"
	LabelResourceNS     = "kratix.io/resource-namespace"
	// Older Kratix versions wrote these instead; they are still read.
	legacyLabelWorkType   = "kratix.io/work-type"
	legacyLabelWorkAction = "kratix.io/work-action"
)

// RequestJobLabels select the workflow Jobs of a request: by its name and
// its Promise's, as Kratix labels them (labelsForJobs in
// lib/workflow/reconciler.go), because requests of two Promises may share a
// name and a namespace. promise is the request's kratix.io/promise-name
// label, which Kratix sets before it runs any Job: with "" the selector
// matches no Job, never another Promise's.
func RequestJobLabels(promise, name string) map[string]string {
	return map[string]string{LabelWorkflowType: "resource", LabelPromiseName: promise, LabelResourceName: name}
}

// RequestJobLabelsOf selects the workflow Jobs of the request obj.
func RequestJobLabelsOf(obj *unstructured.Unstructured) map[string]string {
	return RequestJobLabels(obj.GetLabels()[LabelPromiseName], obj.GetName())
}

// WorkflowRun is one pipeline run: one Job.
type WorkflowRun struct {
	Job            string
	Namespace      string
	Pipeline       string
	Type           string // promise or resource
	Action         string // configure or delete
	Resource       string
	Phase          string // Running, Succeeded or Failed
	StartTime      string
	CompletionTime string
	Message        string
	created        string
}

// RunFromJob reads a workflow Job with Kratix's own rules
// (lib/workflow/reconciler.go): failed when a Failed condition is True;
// superseded when Suspended is (Kratix counts it as finished, and starts a
// new Job); succeeded when Complete is True (or, for delete Jobs, a pod
// succeeded); running otherwise.
func RunFromJob(job *unstructured.Unstructured) WorkflowRun {
	labels := job.GetLabels()
	run := WorkflowRun{
		Job:       job.GetName(),
		Namespace: job.GetNamespace(),
		Pipeline:  labels[LabelPipelineName],
		Type:      firstLabel(labels, LabelWorkflowType, legacyLabelWorkType),
		Action:    firstLabel(labels, LabelWorkflowAction, legacyLabelWorkAction),
		Resource:  labels[LabelResourceName],
		Phase:     PhaseRunning,
		created:   job.GetCreationTimestamp().UTC().Format("2006-01-02T15:04:05Z"),
	}
	run.StartTime, _, _ = unstructured.NestedString(job.Object, "status", "startTime")
	run.CompletionTime, _, _ = unstructured.NestedString(job.Object, "status", "completionTime")
	for _, c := range Conditions(job) {
		if !c.IsTrue() {
			continue
		}
		switch c.Type {
		case "Failed":
			run.Phase, run.Message = PhaseFailed, firstNonEmpty(c.Message, c.Reason)
		case "Suspended":
			run.Phase, run.Message = PhaseSuperseded, "Kratix stopped this run to start the pipeline again"
		case "Complete":
			run.Phase = PhaseSucceeded
		}
	}
	if succeeded, _, _ := unstructured.NestedInt64(job.Object, "status", "succeeded"); run.Phase == PhaseRunning && run.Action == "delete" && succeeded > 0 {
		run.Phase = PhaseSucceeded
	}
	return run
}

// SortNewestFirst orders runs by creation time, newest first.
func SortNewestFirst(runs []WorkflowRun) {
	sort.SliceStable(runs, func(i, j int) bool {
		if runs[i].created != runs[j].created {
			return runs[i].created > runs[j].created
		}
		return runs[i].Job > runs[j].Job
	})
}

func firstLabel(labels map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return ""
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
