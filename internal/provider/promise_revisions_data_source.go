package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ datasource.DataSource              = (*promiseRevisionsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*promiseRevisionsDataSource)(nil)
)

// NewPromiseRevisionsDataSource lists the versions of a Promise.
func NewPromiseRevisionsDataSource() datasource.DataSource {
	return &promiseRevisionsDataSource{}
}

type promiseRevisionsDataSource struct {
	data *providerData
}

type promiseRevisionsModel struct {
	Promise   types.String    `tfsdk:"promise"`
	Latest    types.String    `tfsdk:"latest"`
	Versions  []types.String  `tfsdk:"versions"`
	Revisions []revisionModel `tfsdk:"revisions"`
}

type revisionModel struct {
	Name    types.String `tfsdk:"name"`
	Version types.String `tfsdk:"version"`
	Latest  types.Bool   `tfsdk:"latest"`
	Created types.String `tfsdk:"created"`
}

func (d *promiseRevisionsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_promise_revisions"
}

func (d *promiseRevisionsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The versions of a Promise: Kratix keeps a PromiseRevision for every `kratix.io/promise-version` " +
			"the Promise has had. Use it to pin resource requests (`promise_version`) to the latest version, or to roll a " +
			"new version out to a few requests first. Needs a Kratix release of 2026 or later (versioned Promises); with " +
			"an earlier Kratix, reading it fails and says so.",
		Attributes: map[string]schema.Attribute{
			"promise": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Promise."},
			"latest": computedString("The version Kratix marks latest: the one requests without `promise_version` move to. " +
				"Empty while the Promise has no revision yet."),
			"versions": schema.ListAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "Every version, oldest first.",
			},
			"revisions": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The PromiseRevisions, oldest first.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":    computedString("Name of the PromiseRevision."),
					"version": computedString("The Promise version it records (`not-set` for a Promise without a version label)."),
					"latest":  schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether it is the latest version."},
					"created": computedString("When Kratix created it (RFC 3339)."),
				}},
			},
		},
	}
}

func (d *promiseRevisionsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *promiseRevisionsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model promiseRevisionsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(d.data, &resp.Diagnostics) {
		return
	}
	promise := model.Promise.ValueString()
	revisions, served, err := promiseRevisions(ctx, d.data.Client, promise)
	switch {
	case err != nil:
		resp.Diagnostics.AddError("Cannot list the revisions of Promise "+promise, err.Error())
		return
	case !served:
		resp.Diagnostics.AddAttributeError(path.Root("promise"), "Promise versions not available", noVersionedPromises("the kratix_promise_revisions data source"))
		return
	case len(revisions) == 0:
		if _, err := d.data.Client.Get(ctx, kratix.PromiseGVK, "", promise); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("promise"), "Cannot read Promise "+promise, fmt.Sprintf(
				"%v\n\nCheck the name (data \"kratix_promises\" lists the Promises there are).", err))
			return
		}
	}
	model.Latest = types.StringValue("")
	if latest, ok := kratix.LatestRevision(revisions); ok {
		model.Latest = types.StringValue(latest.Version)
	}
	model.Versions = make([]types.String, 0, len(revisions))
	model.Revisions = make([]revisionModel, 0, len(revisions))
	for _, r := range revisions {
		model.Versions = append(model.Versions, types.StringValue(r.Version))
		model.Revisions = append(model.Revisions, revisionModel{
			Name: types.StringValue(r.Name), Version: types.StringValue(r.Version), Latest: types.BoolValue(r.Latest),
			Created: types.StringValue(r.Created.UTC().Format(time.RFC3339)),
		})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
