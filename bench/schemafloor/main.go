// Command schemafloor is the benchmark's schema floor: a
// terraform-plugin-framework provider whose one resource, benchschema_request,
// has kratix_resource_request's schema, config validators and identity
// (request.go), holds what Kratix reports for a configured request, and
// talks to no API. What it costs over the plugin floor (bench/echoprovider)
// is the framework's per-attribute work for a schema of this size; what
// kratix_resource_request costs over it is the provider's own work (the API
// round trips and the Kratix logic). It is a binary of its own so that the
// plugin floor stays free of the provider's code. Built by `make bench` only.
package main

import (
	"context"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/kratix-community/terraform-provider-kratix/internal/pluginlog"
)

func main() {
	// The same logging as terraform-provider-kratix, so both pay the same
	// for logs.
	pluginlog.QuietUnlessAsked(os.LookupEnv, os.Setenv)
	opts := providerserver.ServeOpts{Address: "registry.terraform.io/kratix-community/benchschema"}
	if err := providerserver.Serve(context.Background(), func() provider.Provider { return schemaProvider{} }, opts); err != nil {
		log.Fatal(err)
	}
}

type schemaProvider struct{}

func (schemaProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "benchschema"
}

func (schemaProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (schemaProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (schemaProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newEchoRequest}
}

func (schemaProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }
