package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ datasource.DataSource              = (*promiseDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*promiseDataSource)(nil)
)

// NewPromiseDataSource reads one Promise's status.
func NewPromiseDataSource() datasource.DataSource {
	return &promiseDataSource{}
}

type promiseDataSource struct {
	data *providerData
}

type promiseDataSourceModel struct {
	Name       types.String `tfsdk:"name"`
	Status     types.String `tfsdk:"status"`
	Message    types.String `tfsdk:"message"`
	Conditions types.List   `tfsdk:"conditions"`
	APIVersion types.String `tfsdk:"api_version"`
	Kind       types.String `tfsdk:"kind"`
	Version    types.String `tfsdk:"version"`
	RequiredBy types.List   `tfsdk:"required_by"`
	Pipelines  types.List   `tfsdk:"pipelines"`
	Workflows  types.List   `tfsdk:"workflows"`
	Placements types.List   `tfsdk:"placements"`
}

var pipelineRefAttrTypes = map[string]attr.Type{"type": types.StringType, "action": types.StringType, "name": types.StringType}

func (d *promiseDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_promise"
}

func (d *promiseDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a Promise installed on the platform, whoever installed it: whether it is Available, " +
			"the API kind its requests use, its version, its pipelines and what requires it.",
		Attributes: map[string]schema.Attribute{
			"name":        schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Promise.", Validators: []validator.String{dnsSubdomain()}},
			"status":      computedString("`Available` or `Unavailable`."),
			"message":     computedString("Kratix's message for the Promise."),
			"conditions":  dsConditionsSchema("Kratix's conditions on the Promise."),
			"api_version": computedString("`group/version` of the API the Promise offers."),
			"kind":        computedString("Kind of the API the Promise offers."),
			"version":     computedString("Version of the Promise."),
			"required_by": schema.ListAttribute{Computed: true, ElementType: types.ObjectType{AttrTypes: requiredByAttrTypes},
				MarkdownDescription: "Promises that require this one: `name`, `version` and `required_version`."},
			"pipelines": schema.ListAttribute{Computed: true, ElementType: types.ObjectType{AttrTypes: pipelineRefAttrTypes},
				MarkdownDescription: "Every pipeline the Promise defines: `type` (`promise` or `resource`), `action` (`configure` or `delete`) and `name`."},
			"workflows":  dsWorkflowsSchema(),
			"placements": placementsDataSourceAttribute(),
		},
	}
}

func (d *promiseDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *promiseDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m promiseDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(d.data, &resp.Diagnostics) {
		return
	}
	obj, err := d.data.Client.GetWhenServed(ctx, kratix.PromiseGVK, "", m.Name.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot read Promise "+m.Name.ValueString(), err.Error())
		return
	}
	s := kratix.SummarisePromise(obj)
	m.Status, m.Message, m.Version = types.StringValue(s.Status), types.StringValue(s.Message), types.StringValue(s.Version)
	m.APIVersion, m.Kind = types.StringValue(s.APIVersion), types.StringValue(s.Kind)
	m.Conditions, m.Workflows, m.RequiredBy = conditionsValue(obj), workflowsValue(obj), requiredByValue(obj)
	var refs []attr.Value
	for _, wt := range kratix.WorkflowTypes {
		for _, action := range kratix.WorkflowActions {
			for _, name := range kratix.PipelineNames(obj, wt, action) {
				refs = append(refs, types.ObjectValueMust(pipelineRefAttrTypes, map[string]attr.Value{
					"type": types.StringValue(wt), "action": types.StringValue(action), "name": types.StringValue(name),
				}))
			}
		}
	}
	m.Pipelines = types.ListValueMust(types.ObjectType{AttrTypes: pipelineRefAttrTypes}, refs)
	m.Placements = placementsNow(ctx, d.data, kratix.WorkSelector{Promise: obj.GetName()}, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func dsConditionsSchema(description string) schema.ListAttribute {
	return schema.ListAttribute{Computed: true, ElementType: conditionObjectType, MarkdownDescription: description +
		" Each has `type`, `status` (`True`, `False` or `Unknown`), `reason`, `message` and `last_transition_time`."}
}

func dsWorkflowsSchema() schema.ListAttribute {
	return schema.ListAttribute{Computed: true, ElementType: workflowObjectType, MarkdownDescription: "Per configure " +
		"pipeline, in order: `name`, `phase` (`Pending`, `Running`, `Succeeded`, `Failed` or `Suspended`), `message`, " +
		"`attempts`, `next_retry_at` and `last_transition_time`, from `status.kratix.workflows.pipelines`; empty with a Kratix that does not publish it, such as Kratix `main` of 2025-09."}
}
