package provider

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// startFailingProxy connects through a fault proxy that answers the first
// failures requests matching fails with a 503, as an API server that is
// restarting does.
func startFailingProxy(t *testing.T, failures int32, fails func(*http.Request) bool) *harness.FaultProxy {
	t.Helper()
	proxy := harness.Current().StartFaultProxy(t)
	proxy.FailFirst(failures, fails)
	return proxy
}

// TestAccPromise_dryRunRidesOutRestart: the dry run of the Promise's API
// as a CRD is retried through 503s like every other request, instead of
// failing the apply.
func TestAccPromise_dryRunRidesOutRestart(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	proxy := startFailingProxy(t, 2, func(r *http.Request) bool {
		return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/customresourcedefinitions") && r.URL.Query().Get("dryRun") != ""
	})
	p := newTestPromise()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: proxy.ProviderConfig() + p.HCL(),
			Check: func(*terraform.State) error {
				if n := proxy.Faults(); n < 2 {
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
	proxy := startFailingProxy(t, 2, isMergePatchOf("/secrets/"+secret))
	t.Cleanup(func() {
		_ = harness.Current().Dynamic(t).Resource(secretsGVR).Namespace("default").Delete(context.Background(), secret, metav1.DeleteOptions{})
	})
	acceptGitToken("kratix-bot", "token-Hh40")
	config := func(credentials string) string {
		return proxy.ProviderConfig() + gitStoreHCL(name, fmt.Sprintf(`  url = %q
  secret_ref = { name = %q }
%s`, testGitURL(name), secret, credentials))
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{Config: config("  username_wo = \"kratix-bot\"\n  password_wo = \"token-Hh40\"\n  credentials_wo_version = 1\n")},
			{
				Config: config(""),
				Check: func(*terraform.State) error {
					if n := proxy.Faults(); n < 2 {
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
	proxy := startFailingProxy(t, 2, isMergePatchOf("/namespaces/default/"+p.Kind+"s/example"))
	base := proxy.ProviderConfig() + p.HCL()
	fixed := p
	fixed.DeleteEnv = map[string]string{}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: base + requestHCL(`{ replicas = 1 }`, "")},
			{Config: base, ExpectError: regexp.MustCompile(`(?s)Delete workflow failed.*connections\s+open`)},
			{
				PreConfig:   func() { time.Sleep(1500 * time.Millisecond) }, // Job creation times have one-second precision
				Config:      base,
				ExpectError: regexp.MustCompile(`(?s)Delete workflow failed.*Pipeline "cleanup".*connections\s+open`),
			},
			{
				PreConfig: func() {
					if n := proxy.Faults(); n < 2 {
						t.Fatalf("the re-run met %d faults, want 2: the test proved nothing", n)
					}
					assertDeleteRuns(t, p, 2)
					fixDeletePipeline(t, p)
				},
				Config: proxy.ProviderConfig() + fixed.HCL(),
				Check:  waitRequestGone(t, p, "default", "example"),
			},
		},
	})
}

// TestAccResourceRequest_planPromiseLookupNotCachedOnFailure: when reading
// the Promise for the plan-time check fails for a while (the API server
// restarting), the failure is not remembered: a request planned after it
// reads the Promise again and is checked.
func TestAccResourceRequest_planPromiseLookupNotCachedOnFailure(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	promise := createTestPromiseWithSpec(t, "schema-cache", map[string]any{
		"type": "object", "properties": map[string]any{"replicas": map[string]any{"type": "integer"}},
	})
	// Enough 503s that the first lookup gives up (it retries for
	// planCheckTimeout), and few enough that a second one succeeds.
	proxy := startFailingProxy(t, 10, func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/promises/"+promise) && r.URL.Query().Get("watch") == ""
	})

	// Both requests are new, so the check's refusal of the second is a
	// warning; the CLI shows it.
	cli := newTerraformCLI(t, proxy.ProviderConfig()+fmt.Sprintf(`
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
`, promise))
	out := cli.run("plan", "-input=false")
	if !wrappedInOrder("Warning: Invalid resource request (the apply will refuse it)", "spec.replicas").MatchString(out) {
		t.Errorf("the second request was not checked:\n%s", out)
	}
}
