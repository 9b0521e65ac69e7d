// Package floorprovider serves the benchmark's floors (bench/echoprovider,
// bench/schemafloor): a provider without settings or data sources whose
// resources call no API, logging as terraform-provider-kratix does so that
// every contender pays the same for logs.
package floorprovider

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

// Serve serves provider kratix-community/<name> with the given resources
// until Terraform stops it.
func Serve(name string, resources ...func() resource.Resource) {
	pluginlog.QuietUnlessAsked(os.LookupEnv, os.Setenv)
	opts := providerserver.ServeOpts{Address: "registry.terraform.io/kratix-community/" + name}
	newProvider := func() provider.Provider { return floor{name: name, resources: resources} }
	if err := providerserver.Serve(context.Background(), newProvider, opts); err != nil {
		log.Fatal(err)
	}
}

type floor struct {
	name      string
	resources []func() resource.Resource
}

func (f floor) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = f.name
}

func (floor) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (floor) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {}

func (f floor) Resources(context.Context) []func() resource.Resource { return f.resources }

func (floor) DataSources(context.Context) []func() datasource.DataSource { return nil }
