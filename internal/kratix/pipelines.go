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
			problems = append(problems, PipelineProblem{[]any{key}, "unknown workflow type; use promise or resource"})
		}
	}
	for _, wt := range WorkflowTypes {
		byAction, _ := workflows[wt].(map[string]any)
		for action, raw := range byAction {
			if action != "configure" && action != "delete" {
				problems = append(problems, PipelineProblem{[]any{wt, action}, "unknown workflow action; use configure or delete"})
				continue
			}
			items, ok := raw.([]any)
			if !ok {
				problems = append(problems, PipelineProblem{[]any{wt, action}, "must be a list of Pipelines"})
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
			problems = append(problems, PipelineProblem{at(), "must be a Pipeline object"})
			continue
		}
		if v, _ := p["apiVersion"].(string); v != PipelineAPIVersion {
			problems = append(problems, PipelineProblem{at("apiVersion"), fmt.Sprintf("is %q; a Pipeline must have apiVersion %q", v, PipelineAPIVersion)})
		}
		if k, _ := p["kind"].(string); k != PipelineKind {
			problems = append(problems, PipelineProblem{at("kind"), fmt.Sprintf("is %q; a Pipeline must have kind %q", k, PipelineKind)})
		}
		name, _, _ := unstructured.NestedString(p, "metadata", "name")
		problems = append(problems, validatePipelineName(promise, wt, action, name, seen, at("metadata", "name"))...)
		seen[name] = true
	}
	return problems
}

func validatePipelineName(promise, wt, action, name string, seen map[string]bool, at []any) []PipelineProblem {
	switch {
	case name == "":
		return []PipelineProblem{{at, "every Pipeline needs metadata.name"}}
	case seen[name]:
		return []PipelineProblem{{at, fmt.Sprintf("pipeline name %q is used twice in %s.%s; names must be unique per workflow", name, wt, action)}}
	}
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return []PipelineProblem{{at, fmt.Sprintf("pipeline name %q is invalid: %s", name, errs[0])}}
	}
	identity := fmt.Sprintf("%s-%s-%s-%s", promise, wt, action, name)
	if len(identity) > maxPipelineIdentity {
		return []PipelineProblem{{at, fmt.Sprintf("%q is %d characters; Kratix limits <promise>-<type>-<action>-<pipeline> to %d. Shorten the pipeline or Promise name",
			identity, len(identity), maxPipelineIdentity)}}
	}
	return nil
}
