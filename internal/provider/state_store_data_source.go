package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ datasource.DataSource              = (*stateStoreDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*stateStoreDataSource)(nil)
)

// NewStateStoreDataSource reads one state store's readiness.
func NewStateStoreDataSource() datasource.DataSource {
	return &stateStoreDataSource{}
}

type stateStoreDataSource struct {
	data *providerData
}

type stateStoreDataSourceModel struct {
	Kind       types.String `tfsdk:"kind"`
	Name       types.String `tfsdk:"name"`
	Status     types.String `tfsdk:"status"`
	Ready      types.Bool   `tfsdk:"ready"`
	Reason     types.String `tfsdk:"reason"`
	Message    types.String `tfsdk:"message"`
	Conditions types.List   `tfsdk:"conditions"`
}

func (d *stateStoreDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_state_store"
}

func (d *stateStoreDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads whether a state store (a GitStateStore or BucketStateStore, whoever created it) is " +
			"ready, and Kratix's reason when it is not (for example `SecretNotFound`).",
		Attributes: map[string]schema.Attribute{
			"kind": schema.StringAttribute{Required: true, MarkdownDescription: "`GitStateStore` or `BucketStateStore`.",
				Validators: []validator.String{stringvalidator.OneOf(kratix.StateStoreKinds...)}},
			"name":       schema.StringAttribute{Required: true, MarkdownDescription: "Name of the state store.", Validators: []validator.String{dnsSubdomain()}},
			"status":     computedString("`Ready` or `NotReady` (`status.status`); empty before Kratix reports."),
			"ready":      schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether Kratix reports the store `Ready=True`."},
			"reason":     computedString("Reason of the `Ready` condition, e.g. `StateStoreReady` or `SecretNotFound`."),
			"message":    computedString("Message of the `Ready` condition."),
			"conditions": dsConditionsSchema("Kratix's conditions on the state store."),
		},
	}
}

func (d *stateStoreDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *stateStoreDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m stateStoreDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(d.data, &resp.Diagnostics) {
		return
	}
	gvk, _ := kratix.StateStoreGVK(m.Kind.ValueString())
	what := m.Kind.ValueString() + "/" + m.Name.ValueString()
	obj, err := d.data.Client.GetWhenServed(ctx, gvk, "", m.Name.ValueString())
	if err != nil {
		resp.Diagnostics.AddError("Cannot read "+what, err.Error())
		return
	}
	r := kratix.StateStoreReadiness(obj)
	m.Status, m.Ready, m.Conditions = storeStatus(obj)
	m.Reason, m.Message = types.StringValue(r.Reason), types.StringValue(r.Message)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
