package kube

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
)

const testCA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"

const kubeconfig = `apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: alpha
  cluster:
    server: https://alpha.example:6443
- name: beta
  cluster:
    server: https://beta.example:6443
    tls-server-name: beta-internal
users:
- name: alpha-user
  user:
    token: alpha-token
- name: beta-user
  user:
    token: beta-token
contexts:
- name: alpha
  context: {cluster: alpha, user: alpha-user}
- name: beta
  context: {cluster: beta, user: beta-user}
`

func writeKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// notInCluster makes the tests independent of the machine they run on.
func notInCluster(t *testing.T) { t.Setenv(inClusterEnv, "") }

func TestRESTConfigFromKubeconfigContext(t *testing.T) {
	notInCluster(t)
	path := writeKubeconfig(t)

	cfg, err := Settings{ConfigPaths: []string{path}}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://alpha.example:6443" || cfg.BearerToken != "alpha-token" {
		t.Errorf("current context: got host %q token %q", cfg.Host, cfg.BearerToken)
	}

	cfg, err = Settings{ConfigPaths: []string{path}, ConfigContext: "beta"}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://beta.example:6443" || cfg.BearerToken != "beta-token" || cfg.ServerName != "beta-internal" {
		t.Errorf("context beta: got host %q token %q server name %q", cfg.Host, cfg.BearerToken, cfg.ServerName)
	}
	if cfg.QPS != DefaultQPS || cfg.Burst != DefaultBurst {
		t.Errorf("rate limits: got %v/%d, want %v/%d", cfg.QPS, cfg.Burst, DefaultQPS, DefaultBurst)
	}
}

func TestRESTConfigAttributesOverrideKubeconfig(t *testing.T) {
	notInCluster(t)
	s := Settings{
		ConfigPaths:          []string{writeKubeconfig(t)},
		ConfigContext:        "alpha",
		ConfigContextCluster: "beta",
		Token:                "explicit-token",
		QPS:                  7, Burst: 9, UserAgent: "kratix-test",
	}
	cfg, err := s.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://beta.example:6443" {
		t.Errorf("config_context_cluster not applied: host %q", cfg.Host)
	}
	if cfg.BearerToken != "explicit-token" {
		t.Errorf("token attribute did not override the kubeconfig: %q", cfg.BearerToken)
	}
	if cfg.QPS != 7 || cfg.Burst != 9 || cfg.UserAgent != "kratix-test" {
		t.Errorf("tuning: got %v/%d %q", cfg.QPS, cfg.Burst, cfg.UserAgent)
	}
}

func TestRESTConfigFromHostTokenCA(t *testing.T) {
	notInCluster(t)
	cfg, err := Settings{Host: "k8s.example:6443", Token: "t0k3n", ClusterCACertificate: testCA, ProxyURL: "http://proxy.example:3128"}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://k8s.example:6443" {
		t.Errorf("host not normalised to https: %q", cfg.Host)
	}
	if cfg.BearerToken != "t0k3n" || string(cfg.CAData) != testCA {
		t.Errorf("credentials: token %q CA %q", cfg.BearerToken, cfg.CAData)
	}
	if cfg.Proxy == nil {
		t.Error("proxy_url not applied")
	}
}

func TestRESTConfigFromClientCertificate(t *testing.T) {
	notInCluster(t)
	cfg, err := Settings{Host: "https://k8s.example", ClientCertificate: "CERT", ClientKey: "KEY", Insecure: true}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.CertData) != "CERT" || string(cfg.KeyData) != "KEY" || !cfg.Insecure {
		t.Errorf("got cert %q key %q insecure %v", cfg.CertData, cfg.KeyData, cfg.Insecure)
	}
}

func TestRESTConfigFromExec(t *testing.T) {
	notInCluster(t)
	s := Settings{Host: "https://eks.example", ClusterCACertificate: testCA, Exec: &ExecSettings{
		APIVersion: "client.authentication.k8s.io/v1beta1",
		Command:    "aws",
		Args:       []string{"eks", "get-token", "--cluster-name", "platform"},
		Env:        map[string]string{"AWS_PROFILE": "platform"},
	}}
	cfg, err := s.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	ep := cfg.ExecProvider
	if ep == nil {
		t.Fatal("no exec provider in the rest.Config")
	}
	if ep.Command != "aws" || ep.APIVersion != s.Exec.APIVersion || strings.Join(ep.Args, " ") != "eks get-token --cluster-name platform" {
		t.Errorf("exec provider: %+v", ep)
	}
	if len(ep.Env) != 1 || ep.Env[0].Name != "AWS_PROFILE" || ep.Env[0].Value != "platform" {
		t.Errorf("exec env: %+v", ep.Env)
	}
}

func TestRESTConfigNotConfigured(t *testing.T) {
	notInCluster(t)
	cfg, err := Settings{}.RESTConfig()
	var nc *NotConfiguredError
	if !errors.As(err, &nc) || cfg != nil {
		t.Fatalf("want *NotConfiguredError and no config, got %v, %v", cfg, err)
	}
	for _, want := range []string{
		"config_path", "KUBE_CONFIG_PATH", "KUBE_CONFIG_PATHS", "KUBE_CTX", "KUBE_HOST", "KUBE_TOKEN",
		"KUBE_CLUSTER_CA_CERT_DATA", "KUBE_CLIENT_CERT_DATA", "KUBE_CLIENT_KEY_DATA", "exec",
		"KUBERNETES_SERVICE_HOST", "localhost",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message does not mention %s:\n%s", want, err)
		}
	}

	// A context alone selects nothing; the message says why.
	_, err = Settings{ConfigContext: "prod"}.RESTConfig()
	if !errors.As(err, &nc) || !strings.Contains(err.Error(), "no kubeconfig file") {
		t.Errorf("context without a file: %v", err)
	}
}

// TestNotConfiguredMakesNoNetworkAttempt gives the client a dialer that
// records every connection attempt (client-go's legacy default would dial
// localhost:8080) and checks that none is made.
func TestNotConfiguredMakesNoNetworkAttempt(t *testing.T) {
	notInCluster(t)
	var dials atomic.Int32
	refuse := func(context.Context, string, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("test dialer: refused")
	}

	c := New(Settings{}, Options{Dial: refuse})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, getErr := c.Get(ctx, widgetGVK, "ns", "w")
	_, verErr := c.ServerVersion(ctx)
	_, mapErr := c.Mapping(ctx, widgetGVK)
	for _, err := range []error{getErr, verErr, mapErr} {
		var nc *NotConfiguredError
		if !errors.As(err, &nc) {
			t.Errorf("want *NotConfiguredError, got %v", err)
		}
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("%d connection attempt(s) with nothing configured", n)
	}
}

// TestDialOptionSeesConnections: the Dial option is where every
// connection goes, so the test above cannot pass by looking elsewhere.
func TestDialOptionSeesConnections(t *testing.T) {
	var dialled atomic.Value
	record := func(_ context.Context, _, address string) (net.Conn, error) {
		dialled.Store(address)
		return nil, errors.New("test dialer: refused")
	}
	c := New(Settings{Host: "https://k8s.example:6443", Token: "t", Insecure: true}, Options{Dial: record, RetryBackoff: wait.Backoff{Steps: 1}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.ServerVersion(ctx); err == nil {
		t.Fatal("want an error from a refused connection")
	}
	if got, _ := dialled.Load().(string); got != "k8s.example:6443" {
		t.Errorf("dialled %q, want k8s.example:6443", got)
	}
}

func TestRESTConfigInCluster(t *testing.T) {
	if _, err := os.Stat("/var/run/secrets/kubernetes.io/serviceaccount/token"); err == nil {
		t.Skip("running inside a pod: the in-cluster token exists")
	}
	t.Setenv(inClusterEnv, "10.96.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	cfg, err := Settings{}.RESTConfig()
	if cfg != nil || err == nil {
		t.Fatalf("want an in-cluster error, got config %+v", cfg)
	}
	var nc *NotConfiguredError
	if errors.As(err, &nc) {
		t.Fatalf("in-cluster was not tried: %v", err)
	}
	if !strings.Contains(err.Error(), "in-cluster") || !strings.Contains(err.Error(), "serviceaccount/token") {
		t.Errorf("error does not say the in-cluster token is missing: %v", err)
	}
	if strings.Contains(err.Error(), "localhost") {
		t.Errorf("mentions localhost: %v", err)
	}
}

func TestRESTConfigRejectsInconsistentSettings(t *testing.T) {
	notInCluster(t)
	cases := map[string]struct {
		s    Settings
		want string
	}{
		"token without host":   {Settings{Token: "t"}, "no API server address"},
		"exec without command": {Settings{Host: "https://h", Exec: &ExecSettings{APIVersion: "client.authentication.k8s.io/v1"}}, "api_version"},
		"insecure and CA":      {Settings{Host: "https://h", Insecure: true, ClusterCACertificate: testCA}, "mutually exclusive"},
		"missing kubeconfig":   {Settings{ConfigPaths: []string{"/nonexistent/kubeconfig"}}, "/nonexistent/kubeconfig"},
		"unknown context":      {Settings{ConfigPaths: []string{writeKubeconfig(t)}, ConfigContext: "gamma"}, "gamma"},
		"kubeconfig no server": {Settings{ConfigPaths: []string{writeEmptyKubeconfig(t)}}, "no usable context"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, err := tc.s.RESTConfig()
			if err == nil {
				t.Fatalf("want an error, got config for %q", cfg.Host)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func writeEmptyKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(path, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewIsLazy(t *testing.T) {
	notInCluster(t)
	var calls int
	c := newClient(func() (*rest.Config, error) { calls++; return nil, errors.New("boom") }, Options{})
	if calls != 0 {
		t.Fatal("New resolved the configuration eagerly")
	}
	_, err1 := c.RESTConfig(context.Background())
	_, err2 := c.Get(context.Background(), schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, "ns", "x")
	if calls != 1 {
		t.Errorf("configuration resolved %d times, want exactly once", calls)
	}
	if err1 == nil || err2 == nil || err1.Error() != "boom" || err2.Error() != "boom" {
		t.Errorf("the resolution error must reach every caller: %v / %v", err1, err2)
	}
}
