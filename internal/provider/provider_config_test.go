package provider

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// promisesListing reads the Promises labelled for one test.
func promisesListing(label string) string {
	return fmt.Sprintf(`
data "kratix_promises" "test" {
  label_selector = "tf-acc-test=%s"
}
`, label)
}

// expectListedPromise asserts that the data source saw the test's Promise,
// which proves the provider reached the platform with the credentials the
// test gave it.
func expectListedPromise(name string) []statecheck.StateCheck {
	first := tfjsonpath.New("promises").AtSliceIndex(0)
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue("data.kratix_promises.test", tfjsonpath.New("promises"), knownvalue.ListSizeExact(1)),
		statecheck.ExpectKnownValue("data.kratix_promises.test", first.AtMapKey("name"), knownvalue.StringExact(name)),
		statecheck.ExpectKnownValue("data.kratix_promises.test", first.AtMapKey("status"), knownvalue.StringExact("Available")),
	}
}

// TestAccProvider_kubeconfigContext selects a working context from a
// kubeconfig whose current context points nowhere.
func TestAccProvider_kubeconfigContext(t *testing.T) {
	testAccPreCheck(t)
	env := harness.Current()
	label := acctest.RandomWithPrefix("kubeconfig")
	name := createTestPromise(t, label)
	kubeconfig := kubeconfigWithBrokenCurrentContext(t, env)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: harness.RequiredProviders + fmt.Sprintf(`
provider "kratix" {
  config_path    = %q
  config_context = %q
}
`, kubeconfig, env.Context) + promisesListing(label),
			ConfigStateChecks: expectListedPromise(name),
		}},
	})
}

// TestAccProvider_envVarsOnly configures the provider as a Terraform Cloud
// workspace would: KUBE_HOST, KUBE_TOKEN and KUBE_CLUSTER_CA_CERT_DATA only.
func TestAccProvider_envVarsOnly(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	env := harness.Current()
	label := acctest.RandomWithPrefix("env")
	name := createTestPromise(t, label)
	t.Setenv("KUBE_HOST", env.Host)
	t.Setenv("KUBE_TOKEN", env.AdminToken)
	t.Setenv("KUBE_CLUSTER_CA_CERT_DATA", string(env.CAData))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:            harness.RequiredProviders + `provider "kratix" {}` + promisesListing(label),
			ConfigStateChecks: expectListedPromise(name),
		}},
	})
}

// TestAccProvider_exec gets its token from a client-go credential plugin.
func TestAccProvider_exec(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	env := harness.Current()
	label := acctest.RandomWithPrefix("exec")
	name := createTestPromise(t, label)
	plugin := writeExecPlugin(t, "credential-plugin.sh", fmt.Sprintf("#!/bin/sh\n[ \"$EXTRA\" = yes ] || { echo 'env not passed' >&2; exit 1; }\n"+
		"echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}'\n", env.AdminToken))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:            execProviderConfig(env, plugin, `    env         = { EXTRA = "yes" }`) + promisesListing(label),
			ConfigStateChecks: expectListedPromise(name),
		}},
	})
}

// TestAccProvider_noConfiguration must fail with a diagnostic that lists the
// ways to configure the provider, and must not try localhost
// (hashicorp/terraform-provider-kubernetes#1479): the provider's client
// dials through a recorder, which must see nothing. Once configured, the
// same provider's connections reach the recorder, so an empty record means
// no attempt, not a blind spot.
func TestAccProvider_noConfiguration(t *testing.T) {
	testAccPreCheck(t)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	_ = os.Unsetenv("KUBERNETES_SERVICE_HOST")
	env := harness.Current()
	label := acctest.RandomWithPrefix("noconfig")
	name := createTestPromise(t, label)
	platform := hostPort(t, env.Host)
	dials := &dialRecorder{allow: platform}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: dials.factories(),
		Steps: []resource.TestStep{
			{
				Config:      harness.RequiredProviders + `provider "kratix" {}` + promisesListing(label),
				ExpectError: regexp.MustCompile(`(?s)KUBE_CONFIG_PATH.*KUBE_HOST.*exec`),
			},
			{
				PreConfig: func() {
					if got := dials.addresses(); len(got) != 0 {
						t.Fatalf("the provider with no configuration connected to %v", got)
					}
				},
				Config:            env.ProviderConfig() + promisesListing(label),
				ConfigStateChecks: expectListedPromise(name),
			},
		},
	})
	got := dials.addresses()
	if len(got) == 0 {
		t.Fatal("the dial recorder saw no connection from the configured provider: it observes nothing")
	}
	for _, addr := range got {
		if addr != platform {
			t.Errorf("the provider connected to %s, not the platform at %s", addr, platform)
		}
	}
}

// TestAccProvider_rbacForbidden uses a token RBAC grants nothing: the
// diagnostic names the verb, resource and user that were refused.
func TestAccProvider_rbacForbidden(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	env := harness.Current()
	t.Setenv("KUBE_HOST", env.Host)
	t.Setenv("KUBE_TOKEN", env.LimitedToken)
	t.Setenv("KUBE_CLUSTER_CA_CERT_DATA", string(env.CAData))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      harness.RequiredProviders + `provider "kratix" {}` + promisesListing("rbac"),
			ExpectError: regexp.MustCompile(`(?s)list.*promises.*` + env.LimitedUser),
		}},
	})
}

// TestAccProvider_wrongCA fails TLS verification against another CA, and
// works once `insecure` is set instead.
func TestAccProvider_wrongCA(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	env := harness.Current()
	label := acctest.RandomWithPrefix("insecure")
	name := createTestPromise(t, label)
	config := func(tlsSettings string) string {
		return harness.RequiredProviders + fmt.Sprintf(`
provider "kratix" {
  host  = %q
  token = %q
  %s
}
`, env.Host, env.AdminToken, tlsSettings) + promisesListing(label)
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      config(fmt.Sprintf("cluster_ca_certificate = %q", otherCA(t))),
				ExpectError: regexp.MustCompile(`(?s)certificate.*(cluster_ca_certificate|insecure)`),
			},
			{
				Config:            config("insecure = true"),
				ConfigStateChecks: expectListedPromise(name),
			},
		},
	})
}

// TestAccProvider_hostNotAnAPIServer points host at a web server that
// answers 404 to everything, under a path prefix: the diagnostic names the
// URL, says discovery got a 404 and what to check, for a listing and for a
// named read alike (which must not mistake the 404 for a missing kind).
func TestAccProvider_hostNotAnAPIServer(t *testing.T) {
	testAccPreCheck(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	host := srv.URL + "/k8s"
	provider := notAPIServerProvider(host)
	want := notAPIServerError(host)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: provider + promisesListing("notapiserver"), ExpectError: want},
			{Config: provider + `data "kratix_promise" "test" { name = "redis" }`, ExpectError: want},
		},
	})
}

// TestAccProvider_destroyAgainstNotAnAPIServer destroys with host pointing
// at a web server that answers 404 to everything: the destroy fails with
// the diagnostic, and the Destination stays, in the API and in the state.
func TestAccProvider_destroyAgainstNotAnAPIServer(t *testing.T) {
	testAccPreCheck(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	name := acctest.RandomWithPrefix("tf-acc-wronghost")
	resources := testStoreHCL(t, name) + destinationHCL(name, "kratix_git_state_store.store.name", `  path = "dev"`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(destinationsGVR, name), gone(gitStateStoresGVR, name)),
		Steps: []resource.TestStep{
			{Config: harness.Current().ProviderConfig() + resources},
			{Config: notAPIServerProvider(srv.URL) + resources, Destroy: true, ExpectError: notAPIServerError(srv.URL)},
			{
				PreConfig: func() {
					if _, err := harness.Current().Dynamic(t).Resource(destinationsGVR).Get(context.Background(), name, metav1.GetOptions{}); err != nil {
						t.Fatalf("the Destination is gone after a destroy against a host that is no API server: %v", err)
					}
				},
				Config: harness.Current().ProviderConfig() + resources,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

func notAPIServerProvider(host string) string {
	return harness.RequiredProviders + fmt.Sprintf(`
provider "kratix" {
  host  = %q
  token = "not-checked"
}
`, host)
}

func notAPIServerError(host string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + regexp.QuoteMeta(host) + `.*` + words("answered 404 Not Found to Kubernetes API discovery (/api, /apis)") +
		`.*` + words("does not look like a Kubernetes API server") + `.*KUBE_HOST.*path\s+prefix.*proxy`)
}

// TestAccProvider_execPluginFails uses a credential plugin that explains
// its failure on standard error: the diagnostic quotes it and names the
// command.
func TestAccProvider_execPluginFails(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	env := harness.Current()
	plugin := writeExecPlugin(t, "failing-plugin.sh",
		"#!/bin/sh\necho 'starting up' >&2\necho 'plugin-said: the SSO session has expired, log in again' >&2\nexit 1\n")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: execProviderConfig(env, plugin, "") + promisesListing("execfails"),
			ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(plugin) + `.*` + words("exit code 1") +
				`.*` + words("plugin-said: the SSO session has expired, log in again") + `.*` + words("Run the command")),
		}},
	})
}

// words matches a phrase however Terraform wraps its lines.
func words(phrase string) string {
	parts := strings.Fields(phrase)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(parts, `\s+`)
}

// kubeconfigWithBrokenCurrentContext adds a current context that points at a
// closed port, so only an explicit config_context can succeed.
func kubeconfigWithBrokenCurrentContext(t *testing.T, env *harness.Env) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(env.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clusters["broken"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.AuthInfos["broken"] = &clientcmdapi.AuthInfo{Token: "nope"}
	cfg.Contexts["broken"] = &clientcmdapi.Context{Cluster: "broken", AuthInfo: "broken"}
	cfg.CurrentContext = "broken"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// dialRecorder stands in for the network dialer of the provider's
// Kubernetes client: it records every address the provider dials and
// refuses all but allow.
type dialRecorder struct {
	allow string
	mu    sync.Mutex
	seen  []string
}

func (d *dialRecorder) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"kratix": testServer(&kratixProvider{version: "test", dial: d.dial}),
	}
}

func (d *dialRecorder) dial(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.seen = append(d.seen, address)
	d.mu.Unlock()
	if address != d.allow {
		return nil, fmt.Errorf("test dialer: connection to %s refused", address)
	}
	var dialer net.Dialer
	return dialer.DialContext(ctx, network, address)
}

func (d *dialRecorder) addresses() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.seen)
}

func hostPort(t *testing.T, host string) string {
	t.Helper()
	u, err := url.Parse(host)
	if err != nil || u.Port() == "" {
		t.Fatalf("platform host %q has no port: %v", host, err)
	}
	return u.Host
}

func otherCA(t *testing.T) string {
	t.Helper()
	return string(newTestCA(t))
}

// writeExecPlugin writes an executable credential plugin script.
func writeExecPlugin(t *testing.T, name, script string) string {
	t.Helper()
	plugin := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(plugin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return plugin
}

// execProviderConfig configures the provider to log in through plugin;
// extra is more of the exec block.
func execProviderConfig(env *harness.Env, plugin, extra string) string {
	return harness.RequiredProviders + fmt.Sprintf(`
provider "kratix" {
  host                   = %q
  cluster_ca_certificate = %q
  exec {
    api_version = "client.authentication.k8s.io/v1beta1"
    command     = %q
%s
  }
}
`, env.Host, string(env.CAData), plugin, extra)
}
