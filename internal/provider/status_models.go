package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// Shared shapes for the status Kratix reports, used by resources and data
// sources alike so that the same field reads the same everywhere.

var conditionAttrTypes = map[string]attr.Type{
	"type":                 types.StringType,
	"status":               types.StringType,
	"reason":               types.StringType,
	"message":              types.StringType,
	"last_transition_time": types.StringType,
}

var conditionObjectType = types.ObjectType{AttrTypes: conditionAttrTypes}

var workflowAttrTypes = map[string]attr.Type{
	"name":                 types.StringType,
	"phase":                types.StringType,
	"message":              types.StringType,
	"attempts":             types.Int64Type,
	"next_retry_at":        types.StringType,
	"last_transition_time": types.StringType,
}

var workflowObjectType = types.ObjectType{AttrTypes: workflowAttrTypes}

func conditionsValue(obj *unstructured.Unstructured) types.List {
	conds := kratix.Conditions(obj)
	elems := make([]attr.Value, 0, len(conds))
	for _, c := range conds {
		elems = append(elems, types.ObjectValueMust(conditionAttrTypes, map[string]attr.Value{
			"type":                 types.StringValue(c.Type),
			"status":               types.StringValue(c.Status),
			"reason":               types.StringValue(c.Reason),
			"message":              types.StringValue(c.Message),
			"last_transition_time": types.StringValue(c.LastTransitionTime),
		}))
	}
	return types.ListValueMust(conditionObjectType, elems)
}

func workflowsValue(obj *unstructured.Unstructured) types.List {
	pipelines := kratix.Pipelines(obj)
	elems := make([]attr.Value, 0, len(pipelines))
	for _, p := range pipelines {
		elems = append(elems, types.ObjectValueMust(workflowAttrTypes, map[string]attr.Value{
			"name":                 types.StringValue(p.Name),
			"phase":                types.StringValue(p.Phase),
			"message":              types.StringValue(p.Message),
			"attempts":             types.Int64Value(p.Attempts),
			"next_retry_at":        types.StringValue(p.NextRetryAt),
			"last_transition_time": types.StringValue(p.LastTransitionTime),
		}))
	}
	return types.ListValueMust(workflowObjectType, elems)
}

// conditionStatusMap is conditions summarised as type -> status ("True",
// "False" or "Unknown"): what a configuration references, and a fraction
// of the values of conditionsValue, which matters for a resource that is
// refreshed on every plan.
func conditionStatusMap(obj *unstructured.Unstructured) types.Map {
	statuses := map[string]attr.Value{}
	for _, c := range kratix.Conditions(obj) {
		statuses[c.Type] = types.StringValue(c.Status)
	}
	return types.MapValueMust(types.StringType, statuses)
}

// pipelinePhaseMap is the configure pipelines summarised as name -> phase.
func pipelinePhaseMap(obj *unstructured.Unstructured) types.Map {
	phases := map[string]attr.Value{}
	for _, p := range kratix.Pipelines(obj) {
		phases[p.Name] = types.StringValue(p.Phase)
	}
	return types.MapValueMust(types.StringType, phases)
}

// statusValue is the object's status, pipeline-written fields included, as
// a dynamic value, without the keys the `conditions` and `workflows`
// attributes already expose. A dynamic value carries its type with
// every value in every RPC, and these two made up half of a request's
// state: dropping them halves what Terraform and the framework walk per
// request on every plan (BENCHMARKS.md).
func statusValue(ctx context.Context, obj *unstructured.Unstructured) types.Dynamic {
	status, found, _ := unstructured.NestedMap(obj.Object, "status")
	if !found {
		return types.DynamicValue(types.ObjectValueMust(map[string]attr.Type{}, map[string]attr.Value{}))
	}
	for _, typed := range statusKeysExposedTyped {
		delete(status, typed)
	}
	return types.DynamicValue(fromGo(ctx, status, nil))
}

const statusDescription = "The request's `status`: every field a pipeline wrote to `/kratix/metadata/status.yaml` " +
	"and Kratix's own fields (`message`, `observedGeneration`, `workflowsSucceeded`, ...). Kratix's `status.conditions` " +
	"and `status.kratix` are not repeated here: see the `conditions` and `workflows` attributes."

// statusKeysExposedTyped are the status keys Kratix owns that the
// `conditions` and `workflows` attributes expose (summarised on the
// resource, whole on the data source).
var statusKeysExposedTyped = []string{"conditions", "kratix"}

func conditionsSchema(description string) schema.ListAttribute {
	return schema.ListAttribute{Computed: true, ElementType: conditionObjectType, MarkdownDescription: description +
		" Each has `type`, `status` (`True`, `False` or `Unknown`), `reason`, `message` and `last_transition_time`."}
}
