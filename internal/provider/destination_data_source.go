package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ datasource.DataSource              = (*destinationDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*destinationDataSource)(nil)
)

// NewDestinationDataSource reads one Destination.
func NewDestinationDataSource() datasource.DataSource {
	return &destinationDataSource{}
}

type destinationDataSource struct {
	data *providerData
}

type destinationDataSourceModel struct {
	Name       types.String `tfsdk:"name"`
	Labels     types.Map    `tfsdk:"labels"`
	Path       types.String `tfsdk:"path"`
	StateStore types.Object `tfsdk:"state_store"`
	Strict     types.Bool   `tfsdk:"strict_match_labels"`
	Ready      types.Bool   `tfsdk:"ready"`
	Reason     types.String `tfsdk:"reason"`
	Message    types.String `tfsdk:"message"`
	Conditions types.List   `tfsdk:"conditions"`
}

func (d *destinationDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_destination"
}

func (d *destinationDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a Destination, whoever created it: its labels (what Promises' `destination_selectors` " +
			"match), the state store it writes through, and whether Kratix reports it ready.",
		Attributes: map[string]schema.Attribute{
			"name":   schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Destination.", Validators: []validator.String{dnsSubdomain()}},
			"labels": schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "All labels on the Destination."},
			"path":   computedString("Directory inside the state store that the Destination's documents go to."),
			"state_store": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The state store the Destination writes through.",
				Attributes: map[string]schema.Attribute{
					"kind": computedString("`GitStateStore` or `BucketStateStore`."),
					"name": computedString("Name of the state store."),
				}},
			"strict_match_labels": schema.BoolAttribute{Computed: true, MarkdownDescription: "`spec.strictMatchLabels`: when `true`, work with no " +
				"destination selectors is not scheduled here unless the Destination has no labels."},
			"ready":      schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether Kratix reports the Destination `Ready=True`."},
			"reason":     computedString("Reason of the `Ready` condition, e.g. `TestDocumentsWritten` or `StateStoreNotFound`; empty before Kratix reports."),
			"message":    computedString("Message of the `Ready` condition."),
			"conditions": dsConditionsSchema("Kratix's conditions on the Destination."),
		},
	}
}

func (d *destinationDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *destinationDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m destinationDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(d.data, &resp.Diagnostics) {
		return
	}
	obj, err := d.data.Client.GetWhenServed(ctx, kratix.DestinationGVK, "", m.Name.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot read Destination "+m.Name.ValueString(), err.Error())
		return
	}
	fillDestinationDataSource(&m, obj)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func fillDestinationDataSource(m *destinationDataSourceModel, obj *unstructured.Unstructured) {
	s := kratix.SummariseDestination(obj)
	m.Name = types.StringValue(s.Name)
	m.Labels = stringMapValue(s.Labels)
	m.Path = types.StringValue(s.Path)
	m.StateStore = stateStoreRefValue(s.StateStore)
	strict, _, _ := unstructured.NestedBool(obj.Object, "spec", "strictMatchLabels")
	m.Strict = types.BoolValue(strict)
	m.Ready = types.BoolValue(s.Readiness.Ready)
	m.Reason, m.Message = types.StringValue(s.Readiness.Reason), types.StringValue(s.Readiness.Message)
	m.Conditions = conditionsValue(obj)
}
