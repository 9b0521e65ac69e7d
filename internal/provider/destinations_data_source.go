package provider

import (
	"context"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ datasource.DataSource              = (*destinationsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*destinationsDataSource)(nil)
)

// NewDestinationsDataSource lists the platform's Destinations.
func NewDestinationsDataSource() datasource.DataSource {
	return &destinationsDataSource{}
}

type destinationsDataSource struct {
	data *providerData
}

type destinationsDataSourceModel struct {
	LabelSelector types.String                 `tfsdk:"label_selector"`
	Destinations  []destinationDataSourceModel `tfsdk:"destinations"`
}

func (d *destinationsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_destinations"
}

func (d *destinationsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the platform's Destinations, with their labels, state stores and readiness: for " +
			"example to check that some Destination matches a Promise's `destination_selectors`. One list call.",
		Attributes: map[string]schema.Attribute{
			"label_selector": schema.StringAttribute{Optional: true, MarkdownDescription: "Only list Destinations whose labels " +
				"match this Kubernetes label selector, e.g. `environment=dev` (what a Promise selecting `environment = \"dev\"` would schedule to). When unset, every Destination."},
			"destinations": schema.ListNestedAttribute{Computed: true, MarkdownDescription: "The Destinations, sorted by name.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":   computedString("Name of the Destination."),
					"labels": schema.MapAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "All labels on the Destination."},
					"path":   computedString("Directory inside the state store."),
					"state_store": schema.SingleNestedAttribute{Computed: true, MarkdownDescription: "The state store the Destination writes through.",
						Attributes: map[string]schema.Attribute{
							"kind": computedString("`GitStateStore` or `BucketStateStore`."),
							"name": computedString("Name of the state store."),
						}},
					"strict_match_labels": schema.BoolAttribute{Computed: true, MarkdownDescription: "`spec.strictMatchLabels`: when `true`, work with no " +
						"destination selectors is not scheduled here unless the Destination has no labels."},
					"ready":      schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether Kratix reports the Destination `Ready=True`."},
					"reason":     computedString("Reason of the `Ready` condition."),
					"message":    computedString("Message of the `Ready` condition."),
					"conditions": dsConditionsSchema("Kratix's conditions on the Destination."),
				}},
			},
		},
	}
}

func (d *destinationsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *destinationsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model destinationsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(d.data, &resp.Diagnostics) {
		return
	}
	list, err := d.data.Client.List(ctx, kratix.DestinationGVK, "", metav1.ListOptions{LabelSelector: model.LabelSelector.ValueString()})
	if err != nil {
		resp.Diagnostics.AddError("Cannot list Destinations", err.Error())
		return
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool { return items[i].GetName() < items[j].GetName() })
	model.Destinations = make([]destinationDataSourceModel, len(items))
	for i := range items {
		fillDestinationDataSource(&model.Destinations[i], &items[i])
	}
	tflog.Debug(ctx, "listed destinations", map[string]any{"count": len(items)})
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
