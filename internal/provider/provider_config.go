package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// Environment variables, named as in hashicorp/kubernetes so that a Terraform
// Cloud workspace or CI job configured for it works unchanged.
const (
	envHost             = "KUBE_HOST"
	envToken            = "KUBE_TOKEN"
	envClientCert       = "KUBE_CLIENT_CERT_DATA"
	envClientKey        = "KUBE_CLIENT_KEY_DATA"
	envClusterCA        = "KUBE_CLUSTER_CA_CERT_DATA"
	envInsecure         = "KUBE_INSECURE"
	envTLSServerName    = "KUBE_TLS_SERVER_NAME"
	envProxyURL         = "KUBE_PROXY_URL"
	envConfigPath       = "KUBE_CONFIG_PATH"
	envConfigPaths      = "KUBE_CONFIG_PATHS"
	envContext          = "KUBE_CTX"
	envContextAuthInfo  = "KUBE_CTX_AUTH_INFO"
	envContextCluster   = "KUBE_CTX_CLUSTER"
	envFieldManager     = "KRATIX_FIELD_MANAGER"
	envDefaultNamespace = "KRATIX_DEFAULT_NAMESPACE"
)

type providerModel struct {
	Host                  types.String `tfsdk:"host"`
	Token                 types.String `tfsdk:"token"`
	ClientCertificate     types.String `tfsdk:"client_certificate"`
	ClientKey             types.String `tfsdk:"client_key"`
	ClusterCACertificate  types.String `tfsdk:"cluster_ca_certificate"`
	Insecure              types.Bool   `tfsdk:"insecure"`
	TLSServerName         types.String `tfsdk:"tls_server_name"`
	ProxyURL              types.String `tfsdk:"proxy_url"`
	ConfigPath            types.String `tfsdk:"config_path"`
	ConfigPaths           types.List   `tfsdk:"config_paths"`
	ConfigContext         types.String `tfsdk:"config_context"`
	ConfigContextAuthInfo types.String `tfsdk:"config_context_auth_info"`
	ConfigContextCluster  types.String `tfsdk:"config_context_cluster"`
	Exec                  *execModel   `tfsdk:"exec"`
	FieldManager          types.String `tfsdk:"field_manager"`
	DefaultNamespace      types.String `tfsdk:"default_namespace"`
	QPS                   types.Int64  `tfsdk:"qps"`
	Burst                 types.Int64  `tfsdk:"burst"`
}

type execModel struct {
	APIVersion types.String `tfsdk:"api_version"`
	Command    types.String `tfsdk:"command"`
	Args       types.List   `tfsdk:"args"`
	Env        types.Map    `tfsdk:"env"`
}

func providerSchema() schema.Schema {
	return schema.Schema{
		MarkdownDescription: "Manages a [Kratix](https://kratix.io) platform cluster: Promises, resource requests, " +
			"Destinations and state stores, and reads workflow status back into Terraform. Connection settings " +
			"follow the `hashicorp/kubernetes` provider, including its `KUBE_*` environment variables.",
		Attributes: map[string]schema.Attribute{
			"host":                     envString("The address of the platform cluster's API server, e.g. `https://10.0.0.1:6443`.", envHost, false),
			"token":                    envString("A bearer token to authenticate to the API server.", envToken, true),
			"client_certificate":       envString("PEM-encoded client certificate for TLS authentication.", envClientCert, false),
			"client_key":               envString("PEM-encoded client certificate key for TLS authentication.", envClientKey, true),
			"cluster_ca_certificate":   envString("PEM-encoded root certificate bundle that the API server's certificate must chain to.", envClusterCA, false),
			"tls_server_name":          envString("Server name to verify the API server's certificate against, when it differs from `host`.", envTLSServerName, false),
			"proxy_url":                envString("URL of the proxy to use for requests to the API server (http, https or socks5).", envProxyURL, false),
			"config_path":              envString("Path to a kubeconfig file. Conflicts with `config_paths`.", envConfigPath, false),
			"config_context":           envString("Context to use from the kubeconfig.", envContext, false),
			"config_context_auth_info": envString("User (auth info) to use from the kubeconfig, overriding the context's.", envContextAuthInfo, false),
			"config_context_cluster":   envString("Cluster to use from the kubeconfig, overriding the context's.", envContextCluster, false),
			"insecure": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Skip verification of the API server's certificate. Not for production. Default `false`. Environment variable: `KUBE_INSECURE`.",
			},
			"config_paths": schema.ListAttribute{
				ElementType:         types.StringType,
				Optional:            true,
				MarkdownDescription: "Paths of kubeconfig files, merged in order. Environment variable: `KUBE_CONFIG_PATHS` (separated by `:` on Unix, `;` on Windows).",
				Validators: []validator.List{
					listvalidator.ConflictsWith(path.MatchRoot("config_path")),
				},
			},
			"field_manager": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Server-side apply field manager that owns the fields this provider writes. Defaults to `" +
					DefaultFieldManager + "`. Environment variable: `" + envFieldManager + "`.",
				Validators: []validator.String{stringvalidator.LengthBetween(1, 128)},
			},
			"default_namespace": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Namespace for resource requests that do not set one. Defaults to `default`. " +
					"Environment variable: `" + envDefaultNamespace + "`.",
			},
			"qps": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Client-side limit on requests per second to the API server, from 1 to 10000. Default " +
					"`100`, sized for Terraform's parallelism on workspaces with hundreds of objects.",
				Validators: []validator.Int64{int64validator.Between(1, 10000)},
			},
			"burst": schema.Int64Attribute{
				Optional:            true,
				MarkdownDescription: "Client-side burst above `qps`, from 1 to 20000. Default `200`.",
				Validators:          []validator.Int64{int64validator.Between(1, 20000)},
			},
		},
		Blocks: map[string]schema.Block{
			"exec": schema.SingleNestedBlock{
				MarkdownDescription: "Runs a command that returns credentials (a client-go credential plugin), " +
					"for example `aws eks get-token` or `gke-gcloud-auth-plugin`.",
				Attributes: map[string]schema.Attribute{
					"api_version": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "API version of the ExecCredential the command prints, e.g. `client.authentication.k8s.io/v1beta1`. Required with `command`.",
					},
					"command": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "The command to run.",
					},
					"args": schema.ListAttribute{
						ElementType:         types.StringType,
						Optional:            true,
						MarkdownDescription: "Arguments to the command.",
					},
					"env": schema.MapAttribute{
						ElementType:         types.StringType,
						Optional:            true,
						Sensitive:           true,
						MarkdownDescription: "Extra environment variables for the command.",
					},
				},
			},
		},
	}
}

func envString(description, env string, sensitive bool) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:            true,
		Sensitive:           sensitive,
		MarkdownDescription: fmt.Sprintf("%s Environment variable: `%s`.", description, env),
	}
}

// providerData is what resources and data sources receive.
type providerData struct {
	Client           *kube.Client
	FieldManager     string
	DefaultNamespace string
	promiseAPIs      *promiseAPICache
	// placements is the refresh's shared read of where Kratix put work.
	placements placementSnapshot
	// ConfigKnown is false during a plan whose provider settings depend on
	// values known only after apply; reads are then skipped rather than
	// failing.
	ConfigKnown bool
	// warned holds the summaries warnOnce has reported.
	warned sync.Map
	// planChecksOff is set once the cluster could not be reached for a
	// plan-time check: the other requests of the plan skip theirs.
	planChecksOff atomic.Bool
	// missingPromises holds, for this plan, the Promises a plan-time check
	// found missing, with the hint about their names.
	missingPromises sync.Map
}

func newProviderData(ctx context.Context, cfg providerModel, known bool, opts kube.Options) (*providerData, diag.Diagnostics) {
	settings, diags := kubeSettings(ctx, cfg)
	data := &providerData{
		FieldManager:     firstNonEmpty(stringOrEnv(cfg.FieldManager, envFieldManager), DefaultFieldManager),
		DefaultNamespace: firstNonEmpty(stringOrEnv(cfg.DefaultNamespace, envDefaultNamespace), "default"),
		ConfigKnown:      known,
		promiseAPIs:      &promiseAPICache{},
	}
	data.Client = kube.New(settings, opts)
	data.promiseAPIs.abandoned = func(ctx context.Context, promise string) error {
		return data.Client.Abandoned(ctx, kratix.PromiseGVK, promise)
	}
	return data, diags
}

func kubeSettings(ctx context.Context, cfg providerModel) (kube.Settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := kube.Settings{
		Host:                  stringOrEnv(cfg.Host, envHost),
		Token:                 stringOrEnv(cfg.Token, envToken),
		ClientCertificate:     stringOrEnv(cfg.ClientCertificate, envClientCert),
		ClientKey:             stringOrEnv(cfg.ClientKey, envClientKey),
		ClusterCACertificate:  stringOrEnv(cfg.ClusterCACertificate, envClusterCA),
		TLSServerName:         stringOrEnv(cfg.TLSServerName, envTLSServerName),
		ProxyURL:              stringOrEnv(cfg.ProxyURL, envProxyURL),
		ConfigContext:         stringOrEnv(cfg.ConfigContext, envContext),
		ConfigContextAuthInfo: stringOrEnv(cfg.ConfigContextAuthInfo, envContextAuthInfo),
		ConfigContextCluster:  stringOrEnv(cfg.ConfigContextCluster, envContextCluster),
		UserAgent:             "terraform-provider-kratix",
	}
	insecure, err := boolOrEnv(cfg.Insecure, envInsecure)
	if err != nil {
		diags.AddAttributeError(path.Root("insecure"), "Invalid KUBE_INSECURE", err.Error())
	}
	s.Insecure = insecure
	s.ConfigPaths, diags = configPaths(ctx, cfg, diags)
	if !cfg.QPS.IsNull() && !cfg.QPS.IsUnknown() {
		s.QPS = float32(cfg.QPS.ValueInt64())
	}
	if !cfg.Burst.IsNull() && !cfg.Burst.IsUnknown() {
		s.Burst = int(cfg.Burst.ValueInt64())
	}
	if cfg.Exec != nil {
		s.Exec, diags = execSettings(ctx, cfg.Exec, diags)
	}
	return s, diags
}

func configPaths(ctx context.Context, cfg providerModel, diags diag.Diagnostics) ([]string, diag.Diagnostics) {
	var paths []string
	if p := stringOrEnv(cfg.ConfigPath, envConfigPath); p != "" && cfg.ConfigPaths.IsNull() {
		paths = append(paths, p)
	}
	if !cfg.ConfigPaths.IsNull() && !cfg.ConfigPaths.IsUnknown() {
		var list []string
		diags.Append(cfg.ConfigPaths.ElementsAs(ctx, &list, false)...)
		paths = append(paths, list...)
	} else if cfg.ConfigPath.IsNull() && lookupEnv(envConfigPath) == "" {
		if env := lookupEnv(envConfigPaths); env != "" {
			paths = append(paths, filepath.SplitList(env)...)
		}
	}
	for i, p := range paths {
		paths[i] = expandHome(p)
	}
	return paths, diags
}

func execSettings(ctx context.Context, m *execModel, diags diag.Diagnostics) (*kube.ExecSettings, diag.Diagnostics) {
	if m.Command.IsNull() && m.APIVersion.IsNull() {
		return nil, diags
	}
	if m.Command.ValueString() == "" || m.APIVersion.ValueString() == "" {
		if !m.Command.IsUnknown() && !m.APIVersion.IsUnknown() {
			diags.AddAttributeError(path.Root("exec"), "Incomplete exec block",
				"The exec block needs both `command` and `api_version` (for example `client.authentication.k8s.io/v1beta1`).")
		}
		return nil, diags
	}
	if strings.HasSuffix(m.APIVersion.ValueString(), "/v1alpha1") {
		diags.AddAttributeWarning(path.Root("exec").AtName("api_version"), "Deprecated exec API version",
			"client.authentication.k8s.io/v1alpha1 is removed from recent Kubernetes clients; use v1beta1 or v1.")
	}
	e := &kube.ExecSettings{APIVersion: m.APIVersion.ValueString(), Command: m.Command.ValueString()}
	if !m.Args.IsNull() {
		diags.Append(m.Args.ElementsAs(ctx, &e.Args, false)...)
	}
	if !m.Env.IsNull() {
		diags.Append(m.Env.ElementsAs(ctx, &e.Env, false)...)
	}
	return e, diags
}

func boolOrEnv(v types.Bool, env string) (bool, error) {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueBool(), nil
	}
	raw := lookupEnv(env)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean; use true or false", env, raw)
	}
	return b, nil
}

func lookupEnv(name string) string {
	return strings.TrimSpace(os.Getenv(name))
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// tflogLogger lets package kube log through Terraform's logger without
// importing Terraform.
type tflogLogger struct{}

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, withComponent(fields))
}

func (tflogLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(ctx, msg, withComponent(fields))
}

func withComponent(fields map[string]any) map[string]any {
	out := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	out["component"] = "kube"
	return out
}
