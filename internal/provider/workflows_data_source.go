package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ datasource.DataSource                     = (*workflowsDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*workflowsDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*workflowsDataSource)(nil)
)

// NewWorkflowsDataSource lists workflow runs (pipeline Jobs).
func NewWorkflowsDataSource() datasource.DataSource {
	return &workflowsDataSource{}
}

type workflowsDataSource struct {
	data *providerData
}

type workflowsDataSourceModel struct {
	Promise   types.String `tfsdk:"promise"`
	Request   types.String `tfsdk:"request"`
	Namespace types.String `tfsdk:"namespace"`
	Runs      types.List   `tfsdk:"runs"`
}

var runAttrTypes = map[string]attr.Type{
	"job":             types.StringType,
	"namespace":       types.StringType,
	"pipeline":        types.StringType,
	"type":            types.StringType,
	"action":          types.StringType,
	"request":         types.StringType,
	"phase":           types.StringType,
	"start_time":      types.StringType,
	"completion_time": types.StringType,
	"message":         types.StringType,
}

func (d *workflowsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_workflows"
}

func (d *workflowsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the workflow runs of a Promise, or of one of its requests, newest first. Each run is a " +
			"pipeline Job that Kratix created; this reads Kratix's Job labels, so it shows promise and resource workflows, " +
			"configure and delete, and why a run failed. Kratix keeps the newest few Jobs per pipeline.",
		Attributes: map[string]schema.Attribute{
			"promise":   schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Promise.", Validators: []validator.String{dnsSubdomain()}},
			"request":   schema.StringAttribute{Optional: true, MarkdownDescription: "Only runs for the request with this name; requires `namespace`. When unset, the runs of the Promise and of all its requests."},
			"namespace": schema.StringAttribute{Optional: true, MarkdownDescription: "Namespace of `request`; required with `request`, and only with it."},
			"runs": schema.ListAttribute{Computed: true, ElementType: types.ObjectType{AttrTypes: runAttrTypes},
				MarkdownDescription: "The runs, newest first: `job`, `namespace`, `pipeline`, `type` (`promise` or `resource`), " +
					"`action` (`configure` or `delete`), `request`, `phase` (`Running`, `Succeeded`, `Failed`, or `Superseded` " +
					"when Kratix stopped the run to start the pipeline again), `start_time`, `completion_time` and `message` (why it failed " +
					"or was superseded)."},
		},
	}
}

func (d *workflowsDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{datasourcevalidator.RequiredTogether(path.MatchRoot("request"), path.MatchRoot("namespace"))}
}

func (d *workflowsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *workflowsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m workflowsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(d.data, &resp.Diagnostics) {
		return
	}
	selector := []string{kratix.LabelPromiseName + "=" + m.Promise.ValueString()}
	if r := m.Request.ValueString(); r != "" {
		selector = append(selector, kratix.LabelResourceName+"="+r)
	}
	// Jobs run in the request's namespace, kratix-platform-system, or the
	// Promise's pipelineNamespace: list across namespaces, by label.
	list, err := d.data.Client.List(ctx, kratix.JobGVK, "", metav1.ListOptions{LabelSelector: strings.Join(selector, ",")})
	if err != nil {
		resp.Diagnostics.AddError("Cannot list workflow Jobs of Promise "+m.Promise.ValueString(), err.Error())
		return
	}
	runs := make([]kratix.WorkflowRun, 0, len(list.Items))
	for i := range list.Items {
		run := kratix.RunFromJob(&list.Items[i])
		if m.Request.ValueString() != "" && !runBelongsTo(run, &list.Items[i], m.Namespace.ValueString()) {
			continue
		}
		runs = append(runs, run)
	}
	kratix.SortNewestFirst(runs)
	m.Runs = runsValue(runs)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// runBelongsTo matches a run to the request's namespace: the Job's own
// namespace, or the resource-namespace label when a pipelineNamespace moved it.
func runBelongsTo(run kratix.WorkflowRun, job interface{ GetLabels() map[string]string }, namespace string) bool {
	if ns := job.GetLabels()[kratix.LabelResourceNS]; ns != "" {
		return ns == namespace
	}
	return run.Namespace == namespace
}

func runsValue(runs []kratix.WorkflowRun) types.List {
	elems := make([]attr.Value, 0, len(runs))
	for _, r := range runs {
		elems = append(elems, types.ObjectValueMust(runAttrTypes, map[string]attr.Value{
			"job": types.StringValue(r.Job), "namespace": types.StringValue(r.Namespace),
			"pipeline": types.StringValue(r.Pipeline), "type": types.StringValue(r.Type),
			"action": types.StringValue(r.Action), "request": types.StringValue(r.Resource),
			"phase": types.StringValue(r.Phase), "start_time": types.StringValue(r.StartTime),
			"completion_time": types.StringValue(r.CompletionTime), "message": types.StringValue(r.Message),
		}))
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: runAttrTypes}, elems)
}
