// Package provider is the Terraform layer of the Kratix provider: schemas,
// models, plan logic and diagnostics. Kubernetes access lives in package
// kube and Kratix semantics in package kratix; nothing here talks to
// client-go directly.
package provider

import (
	"context"
	"net"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// DefaultFieldManager is the server-side apply field manager unless the
// configuration names another.
const DefaultFieldManager = "terraform-provider-kratix"

var (
	_ provider.Provider                  = (*kratixProvider)(nil)
	_ provider.ProviderWithListResources = (*kratixProvider)(nil)
	_ provider.ProviderWithActions       = (*kratixProvider)(nil)
)

// kratixProvider is the provider implementation.
type kratixProvider struct {
	version string
	// dial replaces the network dialer of the provider's Kubernetes client
	// (tests only: it shows every connection the provider attempts).
	dial func(ctx context.Context, network, address string) (net.Conn, error)
	// now replaces the local clock of the provider's Kubernetes client
	// (tests only: a clock that is off must change no decision).
	now func() time.Time
}

// New returns the provider factory that main and the tests serve.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &kratixProvider{version: version}
	}
}

func (p *kratixProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "kratix"
	resp.Version = p.version
}

func (p *kratixProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = providerSchema()
}

// Configure resolves settings (attributes first, then KUBE_* environment
// variables) but does not connect: the client is built on first use, so
// `terraform validate` and plans with provider settings unknown until apply
// never fail for want of a cluster.
func (p *kratixProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data, diags := newProviderData(ctx, cfg, req.Config.Raw.IsFullyKnown(), kube.Options{Logger: tflogLogger{}, Dial: p.dial, Now: p.now})
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "token", "client_key")
	tflog.Debug(ctx, "provider configured", map[string]any{
		"field_manager":     data.FieldManager,
		"default_namespace": data.DefaultNamespace,
		"config_known":      data.ConfigKnown,
	})
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

func (p *kratixProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewPromiseResource,
		NewResourceRequestResource,
		NewDestinationResource,
		NewGitStateStoreResource,
		NewBucketStateStoreResource,
		NewPromiseReleaseResource,
	}
}

func (p *kratixProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewPromisesDataSource,
		NewPromiseDataSource,
		NewPromiseRevisionsDataSource,
		NewResourceRequestDataSource,
		NewResourceRequestsDataSource,
		NewWorkflowsDataSource,
		NewDestinationDataSource,
		NewDestinationsDataSource,
		NewStateStoreDataSource,
	}
}

func (p *kratixProvider) ListResources(_ context.Context) []func() list.ListResource {
	return listResources()
}

// Actions need Terraform 1.14 or later; older CLIs ignore them.
func (p *kratixProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{NewReconcileAction, NewReconcileRequestsAction, NewResumeWorkflowAction}
}

func (p *kratixProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{NewDecodeManifestsFunction, NewMatchingDestinationsFunction}
}

// stringOrEnv returns the attribute when set, otherwise the environment
// variable, the way hashicorp/kubernetes users expect.
func stringOrEnv(v types.String, env string) string {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueString()
	}
	return lookupEnv(env)
}
