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

// statusValue is the object's status, pipeline-written fields included, as
// a dynamic value, without the keys conditionsValue and workflowsValue
// already expose as typed lists. A dynamic value carries its type with
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
	"and `status.kratix` are not repeated here: they are the typed `conditions` and `workflows` attributes."

// statusKeysExposedTyped are the status keys Kratix owns that the
// `conditions` and `workflows` attributes expose.
var statusKeysExposedTyped = []string{"conditions", "kratix"}

func conditionsSchema(description string) schema.ListAttribute {
	return schema.ListAttribute{Computed: true, ElementType: conditionObjectType, MarkdownDescription: description +
		" Each has `type`, `status` (`True`, `False` or `Unknown`), `reason`, `message` and `last_transition_time`."}
}

func workflowsSchema() schema.ListAttribute {
	return schema.ListAttribute{Computed: true, ElementType: workflowObjectType, MarkdownDescription: "Per configure " +
		"pipeline, in order: `name`, `phase` (`Pending`, `Running`, `Succeeded`, `Failed` or `Suspended`), `message`, " +
		"`attempts`, `next_retry_at` and `last_transition_time`, from `status.kratix.workflows.pipelines`."}
}
