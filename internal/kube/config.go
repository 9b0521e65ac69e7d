// Package kube is the provider's only door to the Kubernetes API: it turns the
// provider configuration into a rest.Config, builds clients lazily, maps kinds
// to resources through cached discovery, applies objects server-side, waits on
// them with watches, retries transient failures and translates API errors into
// messages a person can act on. It knows nothing about Terraform.
package kube

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Default client-side rate limits. client-go's own defaults (5 QPS, burst 10)
// throttle Terraform badly: with -parallelism=10 a refresh of 500 objects is
// ~500 GETs plus one discovery request per API group-version, which at 5 QPS
// takes well over a minute of pure client-side waiting. At 100 QPS the same
// refresh needs ~5 s, and a burst of 200 lets the initial discovery fan-out and
// the first wave of parallel reads through without queueing. The API server's
// own priority-and-fairness still protects it from us.
const (
	DefaultQPS   float32 = 100
	DefaultBurst int     = 200
)

// inClusterEnv is the only environment variable this package reads; every
// KUBE_* variable is the provider layer's business.
const inClusterEnv = "KUBERNETES_SERVICE_HOST"

// Settings is the provider's connection configuration after env-var fallback
// was applied by the provider layer.
type Settings struct {
	Host                 string
	Token                string
	ClientCertificate    string // PEM data, not a path
	ClientKey            string // PEM data, not a path
	ClusterCACertificate string // PEM data, not a path
	Insecure             bool
	TLSServerName        string
	ProxyURL             string

	ConfigPaths           []string // kubeconfig files (config_path + config_paths merged)
	ConfigContext         string
	ConfigContextAuthInfo string
	ConfigContextCluster  string

	Exec *ExecSettings // nil when not set

	QPS       float32 // 0 means DefaultQPS
	Burst     int     // 0 means DefaultBurst
	UserAgent string
}

// ExecSettings configures a client-go credential plugin (e.g. aws eks get-token).
type ExecSettings struct {
	APIVersion string
	Command    string
	Args       []string
	Env        map[string]string
}

// NotConfiguredError says that no connection setting was given at all and the
// provider is not running inside a cluster. It exists so the provider never
// silently talks to whatever answers on localhost
// (hashicorp/terraform-provider-kubernetes#1479).
type NotConfiguredError struct {
	// Hint adds a sentence about a setting that was given but is not enough
	// on its own (e.g. a context without a kubeconfig file).
	Hint string
}

func (e *NotConfiguredError) Error() string {
	var b strings.Builder
	b.WriteString("no Kubernetes connection is configured for the Kratix provider")
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	b.WriteString(`. Configure it in one of these ways:
  - a kubeconfig file: config_path or config_paths (env KUBE_CONFIG_PATH, or KUBE_CONFIG_PATHS as a path list),
    optionally choosing config_context (KUBE_CTX), config_context_auth_info (KUBE_CTX_AUTH_INFO)
    and config_context_cluster (KUBE_CTX_CLUSTER);
  - host (KUBE_HOST) with token (KUBE_TOKEN) and cluster_ca_certificate (KUBE_CLUSTER_CA_CERT_DATA);
  - host (KUBE_HOST) with client_certificate (KUBE_CLIENT_CERT_DATA), client_key (KUBE_CLIENT_KEY_DATA)
    and cluster_ca_certificate (KUBE_CLUSTER_CA_CERT_DATA);
  - host with an exec block that runs a credential plugin (api_version, command, args, env);
  - run Terraform in a pod: the in-cluster service account is used when KUBERNETES_SERVICE_HOST is set.
The provider does not read KUBECONFIG or ~/.kube/config on its own and never falls back to localhost;
to use your current kubeconfig, export KUBE_CONFIG_PATH="$KUBECONFIG" (or ~/.kube/config).`)
	return b.String()
}

// RESTConfig resolves the settings the way hashicorp/kubernetes does:
// kubeconfig files are loaded with explicit attributes layered on top as
// overrides; with nothing configured, the in-cluster service account is used
// when KUBERNETES_SERVICE_HOST is set, and otherwise a *NotConfiguredError is
// returned. No network request is made here.
func (s Settings) RESTConfig() (*rest.Config, error) {
	var (
		cfg *rest.Config
		err error
	)
	switch {
	case s.nothingConfigured():
		cfg, err = s.inClusterConfig()
	case s.Host == "" && len(s.ConfigPaths) == 0:
		return nil, errors.New("credentials (token, client certificate, CA certificate or exec) are configured " +
			"but no API server address: set host (KUBE_HOST), or config_path (KUBE_CONFIG_PATH) to a kubeconfig file " +
			"(inside a pod use host = \"https://kubernetes.default.svc\")")
	default:
		cfg, err = s.clientcmdConfig()
	}
	if err != nil {
		return nil, err
	}
	s.applyTuning(cfg)
	return cfg, nil
}

// nothingConfigured is true when no setting could select a cluster or
// authenticate against one. Context names alone do not count: they only
// choose inside kubeconfig files.
func (s Settings) nothingConfigured() bool {
	return s.Host == "" && len(s.ConfigPaths) == 0 && s.Exec == nil &&
		s.Token == "" && s.ClientCertificate == "" && s.ClientKey == "" && s.ClusterCACertificate == ""
}

func (s Settings) inClusterConfig() (*rest.Config, error) {
	if os.Getenv(inClusterEnv) == "" {
		return nil, &NotConfiguredError{Hint: s.contextHint()}
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("no connection settings were given and %s is set, so the provider tried the "+
			"in-cluster service account configuration, which failed: %w", inClusterEnv, err)
	}
	return cfg, nil
}

func (s Settings) contextHint() string {
	if s.ConfigContext != "" || s.ConfigContextAuthInfo != "" || s.ConfigContextCluster != "" {
		return "a kubeconfig context was chosen but no kubeconfig file was given with config_path or KUBE_CONFIG_PATH"
	}
	return ""
}

// clientcmdConfig loads the kubeconfig files (if any) and applies the explicit
// attributes as overrides. ClusterDefaults is deliberately left empty: that is
// where client-go's "http://localhost:8080" fallback would come from.
func (s Settings) clientcmdConfig() (*rest.Config, error) {
	if s.Exec != nil && (s.Exec.APIVersion == "" || s.Exec.Command == "") {
		return nil, errors.New("the exec block needs both api_version (e.g. client.authentication.k8s.io/v1beta1) and command")
	}
	if s.Insecure && s.ClusterCACertificate != "" {
		return nil, errors.New("insecure = true and cluster_ca_certificate are mutually exclusive: " +
			"either verify the API server with the CA, or skip verification")
	}
	paths, err := expandPaths(s.ConfigPaths)
	if err != nil {
		return nil, err
	}
	// Precedence (not ExplicitPath) with our own list keeps client-go from
	// consulting KUBECONFIG or ~/.kube/config behind the user's back.
	loader := &clientcmd.ClientConfigLoadingRules{Precedence: paths}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loader, s.overrides())
	cfg, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		// client-go's own text suggests KUBERNETES_MASTER, which the provider ignores.
		return nil, fmt.Errorf("the Kubernetes configuration%s defines no usable context or cluster: check the "+
			"kubeconfig's contexts and current-context, or set config_context (KUBE_CTX) or host (KUBE_HOST)", describePaths(paths))
	}
	if err != nil {
		return nil, fmt.Errorf("loading Kubernetes configuration%s: %w", describePaths(paths), err)
	}
	if cfg.Host == "" {
		return nil, fmt.Errorf("the Kubernetes configuration%s names no API server: set host (KUBE_HOST) "+
			"or choose a context whose cluster has a server", describePaths(paths))
	}
	return cfg, nil
}

func (s Settings) overrides() *clientcmd.ConfigOverrides {
	o := &clientcmd.ConfigOverrides{
		CurrentContext: s.ConfigContext,
		Context: clientcmdapi.Context{
			AuthInfo: s.ConfigContextAuthInfo,
			Cluster:  s.ConfigContextCluster,
		},
		ClusterInfo: clientcmdapi.Cluster{
			Server:                   normalizeHost(s.Host),
			InsecureSkipTLSVerify:    s.Insecure,
			TLSServerName:            s.TLSServerName,
			ProxyURL:                 s.ProxyURL,
			CertificateAuthorityData: []byte(s.ClusterCACertificate),
		},
		AuthInfo: clientcmdapi.AuthInfo{
			Token:                 s.Token,
			ClientCertificateData: []byte(s.ClientCertificate),
			ClientKeyData:         []byte(s.ClientKey),
		},
	}
	// clientcmd treats a non-nil empty slice as "set"; keep unset values nil
	// so the kubeconfig's CA and client certificate survive.
	if s.ClusterCACertificate == "" {
		o.ClusterInfo.CertificateAuthorityData = nil
	}
	if s.ClientCertificate == "" {
		o.AuthInfo.ClientCertificateData = nil
	}
	if s.ClientKey == "" {
		o.AuthInfo.ClientKeyData = nil
	}
	if s.Exec != nil {
		o.AuthInfo.Exec = s.Exec.toAPI()
	}
	return o
}

func (e *ExecSettings) toAPI() *clientcmdapi.ExecConfig {
	ec := &clientcmdapi.ExecConfig{
		APIVersion: e.APIVersion,
		Command:    e.Command,
		Args:       append([]string(nil), e.Args...),
		// Terraform owns the terminal; a plugin may prompt only if it can.
		InteractiveMode: clientcmdapi.IfAvailableExecInteractiveMode,
	}
	for name, value := range e.Env {
		ec.Env = append(ec.Env, clientcmdapi.ExecEnvVar{Name: name, Value: value})
	}
	return ec
}

// applyTuning sets what every resolved config gets, whatever its source.
func (s Settings) applyTuning(cfg *rest.Config) {
	cfg.QPS, cfg.Burst = s.QPS, s.Burst
	if cfg.QPS <= 0 {
		cfg.QPS = DefaultQPS
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if s.UserAgent != "" {
		cfg.UserAgent = s.UserAgent
	}
}

// normalizeHost accepts "host:port" as hashicorp/kubernetes does and assumes
// https, the only sensible default for an API server.
func normalizeHost(host string) string {
	if host == "" || strings.Contains(host, "://") {
		return host
	}
	return "https://" + host
}

// expandPaths resolves "~" and rejects missing files: clientcmd silently
// skips missing entries of a precedence list, which would turn a typo into
// "no configuration".
func expandPaths(paths []string) ([]string, error) {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if p == "" {
			continue
		}
		if p == "~" || strings.HasPrefix(p, "~/") {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, fmt.Errorf("expanding %q: %w", p, err)
			}
			p = filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("kubeconfig file %q (config_path / config_paths / KUBE_CONFIG_PATH) cannot be read: %w", p, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func describePaths(paths []string) string {
	if len(paths) == 0 {
		return " from the provider attributes"
	}
	return " from " + strings.Join(paths, ", ")
}
