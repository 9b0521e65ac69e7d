package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ datasource.DataSource              = (*promisesDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*promisesDataSource)(nil)
)

// NewPromisesDataSource lists the Promises installed on the platform.
func NewPromisesDataSource() datasource.DataSource {
	return &promisesDataSource{}
}

type promisesDataSource struct {
	data *providerData
}

type promisesDataSourceModel struct {
	LabelSelector types.String          `tfsdk:"label_selector"`
	Promises      []promiseSummaryModel `tfsdk:"promises"`
}

type promiseSummaryModel struct {
	Name       types.String `tfsdk:"name"`
	Status     types.String `tfsdk:"status"`
	Kind       types.String `tfsdk:"kind"`
	APIVersion types.String `tfsdk:"api_version"`
	Version    types.String `tfsdk:"version"`
	Message    types.String `tfsdk:"message"`
}

func (d *promisesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_promises"
}

func (d *promisesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the Promises installed on the platform, with each one's status and the kind of " +
			"API it offers. Useful to check what a platform offers before requesting it.",
		Attributes: map[string]schema.Attribute{
			"label_selector": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only list Promises whose labels match this Kubernetes label selector, e.g. `team=data`. When unset, every Promise.",
			},
			"promises": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The Promises, sorted by name.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":        computedString("Name of the Promise."),
					"status":      computedString("`Available` or `Unavailable`; empty until Kratix has reconciled the Promise."),
					"kind":        computedString("Kind of the API the Promise offers (what resource requests use)."),
					"api_version": computedString("`group/version` of the API the Promise offers."),
					"version":     computedString("Version of the Promise (label `kratix.io/promise-version`)."),
					"message":     computedString("Kratix's message for the Promise."),
				}},
			},
		},
	}
}

func (d *promisesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *promisesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model promisesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(d.data, &resp.Diagnostics) {
		return
	}
	list, err := d.data.Client.List(ctx, kratix.PromiseGVK, "", metav1.ListOptions{LabelSelector: model.LabelSelector.ValueString()})
	if err != nil {
		resp.Diagnostics.AddError("Cannot list Promises", err.Error())
		return
	}
	model.Promises = make([]promiseSummaryModel, 0, len(list.Items))
	for i := range list.Items {
		s := kratix.SummarisePromise(&list.Items[i])
		model.Promises = append(model.Promises, promiseSummaryModel{
			Name:       types.StringValue(s.Name),
			Status:     types.StringValue(s.Status),
			Kind:       types.StringValue(s.Kind),
			APIVersion: types.StringValue(s.APIVersion),
			Version:    types.StringValue(s.Version),
			Message:    types.StringValue(s.Message),
		})
	}
	tflog.Debug(ctx, "listed promises", map[string]any{"count": len(model.Promises)})
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}

func computedString(description string) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, MarkdownDescription: description}
}
