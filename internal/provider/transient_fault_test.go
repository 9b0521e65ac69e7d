package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// faultProxy forwards every request to the local platform's API server as
// its admin, except that it answers the first failures requests matching
// fails with a 503, as an API server that is restarting does.
type faultProxy struct {
	URL    string
	faults atomic.Int32
}

func newFaultProxy(t *testing.T, failures int32, fails func(*http.Request) bool) *faultProxy {
	t.Helper()
	env := harness.Current()
	target, err := url.Parse(env.Host)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(env.CAData)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	proxy.FlushInterval = -1 // watches stream
	p := &faultProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fails(r) && p.faults.Add(1) <= failures {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server is restarting","reason":"ServiceUnavailable","code":503}`))
			return
		}
		r.Header.Set("Authorization", "Bearer "+env.AdminToken)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// TestAccPromise_dryRunRidesOutRestart: the dry run of the Promise's API
// as a CRD is retried through 503s like every other request, instead of
// failing the apply.
func TestAccPromise_dryRunRidesOutRestart(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	proxy := newFaultProxy(t, 2, func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/customresourcedefinitions") && r.URL.Query().Get("dryRun") != ""
	})
	t.Setenv("KUBE_HOST", proxy.URL)
	t.Setenv("KUBE_TOKEN", "replaced-by-the-proxy")
	p := newTestPromise()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: harness.RequiredProviders + `provider "kratix" {}` + p.HCL(),
			Check: func(*terraform.State) error {
				if n := proxy.faults.Load(); n < 2 {
					return fmt.Errorf("the dry run met %d faults, want 2: the test proved nothing", n)
				}
				return nil
			},
		}},
	})
}

// isMergePatchOf matches a JSON merge patch to a path ending in suffix.
func isMergePatchOf(suffix string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, suffix) &&
			strings.HasPrefix(r.Header.Get("Content-Type"), "application/merge-patch+json")
	}
}

// TestAccStateStore_releaseRidesOutRestart: handing an owned Secret over
// (the credentials are removed, secret_ref stays) removes the provider's
// marks even when the API server answers the first tries with 503s.
func TestAccStateStore_releaseRidesOutRestart(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	name := acctest.RandomWithPrefix("tf-acc-git")
	secret := name + "-creds"
	proxy := newFaultProxy(t, 2, isMergePatchOf("/secrets/"+secret))
	t.Setenv("KUBE_HOST", proxy.URL)
	t.Setenv("KUBE_TOKEN", "replaced-by-the-proxy")
	t.Cleanup(func() {
		_ = harness.Current().Dynamic(t).Resource(secretsGVR).Namespace("default").Delete(context.Background(), secret, metav1.DeleteOptions{})
	})
	config := func(credentials string) string {
		return harness.RequiredProviders + `provider "kratix" {}` + gitStoreHCL(name, fmt.Sprintf(`  url = "https://git.example.com/platform/state.git"
  secret_ref = { name = %q }
%s`, secret, credentials))
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{Config: config("  username_wo = \"kratix-bot\"\n  password_wo = \"token-Hh40\"\n  credentials_wo_version = 1\n")},
			{
				Config: config(""),
				Check: func(*terraform.State) error {
					if n := proxy.faults.Load(); n < 2 {
						return fmt.Errorf("the release met %d faults, want 2: the test proved nothing", n)
					}
					if _, ann := readSecret(t, "default", secret); ann[annotationSecretOwner] != "" {
						return fmt.Errorf("the handed-over Secret still carries the provider's mark: %v", ann)
					}
					return nil
				},
			},
		},
	})
}

// TestAccResourceRequest_deleteRerunRidesOutRestart: the label that asks
// Kratix to re-run a failed delete pipeline is set even when the API
// server answers the first tries with 503s, so the destroy reports the new
// run's failure instead of failing to ask.
func TestAccResourceRequest_deleteRerunRidesOutRestart(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	p := newTestPromise()
	p.DeleteEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "cannot drop database: connections open"}
	proxy := newFaultProxy(t, 2, isMergePatchOf("/namespaces/default/"+p.Kind+"s/example"))
	t.Setenv("KUBE_HOST", proxy.URL)
	t.Setenv("KUBE_TOKEN", "replaced-by-the-proxy")
	base := harness.RequiredProviders + `provider "kratix" {}` + p.HCL()
	fixed := p
	fixed.DeleteEnv = map[string]string{}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: base + requestHCL(`{ replicas = 1 }`, "")},
			{Config: base, ExpectError: regexp.MustCompile(`(?s)Delete workflow failed.*connections open`)},
			{
				PreConfig:   func() { time.Sleep(1500 * time.Millisecond) }, // Job creation times have one-second precision
				Config:      base,
				ExpectError: regexp.MustCompile(`(?s)Delete workflow failed.*Pipeline "cleanup".*connections open`),
			},
			{
				PreConfig: func() {
					if n := proxy.faults.Load(); n < 2 {
						t.Fatalf("the re-run met %d faults, want 2: the test proved nothing", n)
					}
					assertDeleteRuns(t, p, 2)
					fixDeletePipeline(t, p)
				},
				Config: harness.RequiredProviders + `provider "kratix" {}` + fixed.HCL(),
				Check:  waitRequestGone(t, p, "default", "example"),
			},
		},
	})
}

// TestAccResourceRequest_planSchemaLookupNotCachedOnFailure: when reading
// the Promise for the plan-time spec check fails for a while (the API
// server restarting), the failure is not remembered: a request planned
// after it reads the Promise again and its spec is checked.
func TestAccResourceRequest_planSchemaLookupNotCachedOnFailure(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	promise := createTestPromiseWithSpec(t, "schema-cache", map[string]any{
		"type": "object", "properties": map[string]any{"replicas": map[string]any{"type": "integer"}},
	})
	// Enough 503s that the first lookup gives up (it retries ten times, or
	// for schemaLookupTimeout), and few enough that a second one succeeds.
	proxy := newFaultProxy(t, 10, func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/promises/"+promise) && r.URL.Query().Get("watch") == ""
	})
	t.Setenv("KUBE_HOST", proxy.URL)
	t.Setenv("KUBE_TOKEN", "replaced-by-the-proxy")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: harness.RequiredProviders + `provider "kratix" {}` + fmt.Sprintf(`
resource "kratix_resource_request" "first" {
  promise = %[1]q
  name    = "first"
  spec    = { replicas = 1 }
}

resource "kratix_resource_request" "second" {
  promise    = %[1]q
  name       = "second"
  spec       = { replicas = "three" }
  depends_on = [kratix_resource_request.first]
}
`, promise),
			PlanOnly:    true,
			ExpectError: wrapped(`spec.replicas`),
		}},
	})
}
