package kratix

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Workflow types and actions a Promise can define (kratix-api.md §3.1).
var (
	WorkflowTypes   = []string{"promise", "resource"}
	WorkflowActions = []string{"configure", "delete"}
)

// PipelineAPIVersion and PipelineKind are the only values Kratix accepts.
const (
	PipelineAPIVersion = Group + "/" + Version
	PipelineKind       = "Pipeline"
	// maxPipelineIdentity is the webhook's limit on
	// "<promise>-<type>-<action>-<pipeline>" (kratix-api.md §3.5).
	maxPipelineIdentity = 60
)

// PipelineNames lists the pipeline names of one workflow of a Promise.
func PipelineNames(promise *unstructured.Unstructured, workflowType, action string) []string {
	items, _, _ := unstructured.NestedSlice(promise.Object, "spec", "workflows", workflowType, action)
	names := make([]string, 0, len(items))
	for _, item := range items {
		m, _ := item.(map[string]any)
		name, _, _ := unstructured.NestedString(m, "metadata", "name")
		names = append(names, name)
	}
	return names
}

// PipelineProblem is one reason Kratix's admission webhook would refuse a
// Promise's workflows, with the path of the offending field.
type PipelineProblem struct {
	Path    []any // keys and indexes below spec.workflows
	Message string
}

// ValidateWorkflows applies the webhook's pipeline rules to spec.workflows
// (as a JSON-shaped map) of the Promise with the given name.
func ValidateWorkflows(promise string, workflows map[string]any) []PipelineProblem {
	var problems []PipelineProblem
	for key := range workflows {
		if key != "promise" && key != "resource" && key != "config" {
			problems = append(problems, PipelineProblem{[]any{key}, fmt.Sprintf("The workflow type %q is unknown: use promise or resource.", key)})
		}
	}
	for _, wt := range WorkflowTypes {
		byAction, _ := workflows[wt].(map[string]any)
		for action, raw := range byAction {
			if action != "configure" && action != "delete" {
				problems = append(problems, PipelineProblem{[]any{wt, action}, fmt.Sprintf("The workflow action %s.%s is unknown: use configure or delete.", wt, action)})
				continue
			}
			items, ok := raw.([]any)
			if !ok {
				problems = append(problems, PipelineProblem{[]any{wt, action}, fmt.Sprintf("The %s.%s workflow must be a list of Pipelines.", wt, action)})
				continue
			}
			problems = append(problems, validatePipelines(promise, wt, action, items)...)
		}
	}
	return problems
}

func validatePipelines(promise, wt, action string, items []any) []PipelineProblem {
	var problems []PipelineProblem
	seen := map[string]bool{}
	for i, item := range items {
		at := func(rest ...any) []any { return append([]any{wt, action, i}, rest...) }
		p, ok := item.(map[string]any)
		if !ok {
			problems = append(problems, PipelineProblem{at(), fmt.Sprintf("Item %d of the %s.%s workflow must be a Pipeline object.", i, wt, action)})
			continue
		}
		name, _, _ := unstructured.NestedString(p, "metadata", "name")
		which := describePipeline(wt, action, i, name)
		if v, _ := p["apiVersion"].(string); v != PipelineAPIVersion {
			problems = append(problems, PipelineProblem{at("apiVersion"), fmt.Sprintf("%s has apiVersion %q; a Pipeline must have apiVersion %q.", which, v, PipelineAPIVersion)})
		}
		if k, _ := p["kind"].(string); k != PipelineKind {
			problems = append(problems, PipelineProblem{at("kind"), fmt.Sprintf("%s has kind %q; a Pipeline must have kind %q.", which, k, PipelineKind)})
		}
		problems = append(problems, validatePipelineName(promise, wt, action, name, seen, at("metadata", "name"))...)
		seen[name] = true
	}
	return problems
}

// describePipeline names a pipeline for a message, e.g. `The pipeline
// "configure" (resource.configure[0])`.
func describePipeline(wt, action string, index int, name string) string {
	if name == "" {
		return fmt.Sprintf("The pipeline at %s.%s[%d]", wt, action, index)
	}
	return fmt.Sprintf("The pipeline %q (%s.%s[%d])", name, wt, action, index)
}

func validatePipelineName(promise, wt, action, name string, seen map[string]bool, at []any) []PipelineProblem {
	switch {
	case name == "":
		return []PipelineProblem{{at, fmt.Sprintf("Every Pipeline needs metadata.name; one in the %s.%s workflow has none.", wt, action)}}
	case seen[name]:
		return []PipelineProblem{{at, fmt.Sprintf("The pipeline name %q is used twice in the %s.%s workflow; names must be unique per workflow.", name, wt, action)}}
	}
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return []PipelineProblem{{at, fmt.Sprintf("The pipeline name %q is invalid: %s.", name, errs[0])}}
	}
	identity := fmt.Sprintf("%s-%s-%s-%s", promise, wt, action, name)
	if len(identity) > maxPipelineIdentity {
		return []PipelineProblem{{at, fmt.Sprintf("The pipeline %q makes the name %q, which is %d characters; Kratix limits "+
			"<promise>-<type>-<action>-<pipeline> to %d. Shorten the pipeline or Promise name.",
			name, identity, len(identity), maxPipelineIdentity)}}
	}
	return nil
}
