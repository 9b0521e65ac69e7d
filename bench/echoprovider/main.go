// Command echoprovider is the benchmark's plugin floor: a
// terraform-plugin-framework provider whose one resource, benchecho_object,
// stores the request payload it is given and talks to no API. The difference
// between terraform_data and this contender is what Terraform's plugin
// protocol and the framework cost per resource; the difference between this
// contender and kratix_resource_request is what the provider itself adds
// (the API round trips and the Kratix logic). Built by `make bench` only.
package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/bench/floorprovider"
)

func main() {
	floorprovider.Serve("benchecho", func() resource.Resource { return echoObject{} })
}

// echoObject keeps `object` (a dynamic value, like the request's spec) as
// given; Read leaves the state as it is.
type echoObject struct{}

type echoModel struct {
	ID     types.String  `tfsdk:"id"`
	Object types.Dynamic `tfsdk:"object"`
}

func (echoObject) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "benchecho_object"
}

func (echoObject) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"object": schema.DynamicAttribute{Required: true},
	}}
}

func (echoObject) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m echoModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	m.ID = types.StringValue("echo")
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (echoObject) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (echoObject) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m echoModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (echoObject) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
