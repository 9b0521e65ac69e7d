package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// namedRequestHCL is kratix_resource_request.test of the test Promise, with
// extra HCL in its body.
func namedRequestHCL(name string, replicas int, extra string) string {
	return fmt.Sprintf(`
resource "kratix_resource_request" "test" {
  promise = kratix_promise.test.name
  name    = %q
  spec    = { replicas = %d }
%s
}
`, name, replicas, extra)
}

// safetyRequestHCL is one request with a short read bound, so a refresh that
// cannot read the request fails in seconds.
func safetyRequestHCL(readTimeout string) string {
	return namedRequestHCL("kept", 1, fmt.Sprintf("  timeouts {\n    read = %q\n  }", readTimeout))
}

// TestAccResourceRequest_refreshKeepsRequestWhileKindNotServed: right after
// an API server restart, discovery may not list a Promise's API group yet.
// A refresh in that window must fail (or wait), never drop the request from
// state: a plan would then create it again and a destroy would leave it
// running.
func TestAccResourceRequest_refreshKeepsRequestWhileKindNotServed(t *testing.T) {
	testAccPreCheck(t)
	proxy := harness.Current().StartFaultProxy(t)
	p := newTestPromise()
	config := proxy.ProviderConfig() + p.HCL() + safetyRequestHCL("10s")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "kept"),
		Steps: []resource.TestStep{
			{Config: config},
			{
				// Hidden for longer than the read bound: the refresh fails
				// and says why, and the request stays in state.
				PreConfig:   func() { proxy.HideGroup("test.kratix.io", true) },
				Config:      config,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Cannot read resource request.*is not served.*stays in the Terraform state`),
			},
			{
				// Hidden for a moment: the refresh waits it out and the
				// plan is empty.
				PreConfig: func() {
					time.AfterFunc(3*time.Second, func() { proxy.HideGroup("test.kratix.io", false) })
				},
				Config:   config,
				PlanOnly: true,
			},
		},
	})
}

// TestAccResourceRequest_destroyRidesOutAnOutage: the API server drops
// every connection for 30 s from the moment the provider sends its DELETE.
// Destroy retries within its own timeout, as create and update do.
func TestAccResourceRequest_destroyRidesOutAnOutage(t *testing.T) {
	testAccPreCheck(t)
	proxy := harness.Current().StartFaultProxy(t)
	p := newTestPromise()
	config := proxy.ProviderConfig() + p.HCL() + safetyRequestHCL("2m")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "kept"),
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() { proxy.OutageOnFirst(http.MethodDelete, 30*time.Second) },
				Config:    config,
				Destroy:   true,
			},
		},
	})
}

// TestAccResourceRequest_followsPromiseAPIVersion: the Promise moves its
// API to v1beta1 and stops serving v1alpha1. The request follows the
// Promise's current version instead of being lost under the old one.
func TestAccResourceRequest_followsPromiseAPIVersion(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipInRealMode(t, harness.RealWatchesFirstAPIVersion)
	p := newTestPromise()
	request := safetyRequestHCL("1m")
	both, moved := p, p
	both.Versions = []apiVersionSpec{{Name: "v1alpha1", Served: true, Storage: false}, {Name: "v1beta1", Served: true, Storage: true}}
	moved.Versions = []apiVersionSpec{{Name: "v1alpha1", Served: false, Storage: false}, {Name: "v1beta1", Served: true, Storage: true}}
	base := harness.Current().ProviderConfig()
	apiVersion := func(v string) []statecheck.StateCheck {
		return []statecheck.StateCheck{statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("api_version"), knownvalue.StringExact("test.kratix.io/"+v))}
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "kept"),
		Steps: []resource.TestStep{
			{Config: base + p.HCL() + request, ConfigStateChecks: apiVersion("v1alpha1")},
			{
				// The apply's own state predates the Promise's change; the
				// refresh after it follows the new version with no diff.
				Config: base + both.HCL() + request,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				Config:            base + moved.HCL() + request,
				ConfigStateChecks: apiVersion("v1beta1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccResourceRequest_rerunAfterFailedWorkflow: an update whose
// workflow fails leaves the request in state with the new spec. Once the
// Promise's pipeline is fixed, the next apply runs the request's workflow
// again and waits for it, though the request's configuration is unchanged.
func TestAccResourceRequest_rerunAfterFailedWorkflow(t *testing.T) {
	testAccPreCheck(t)
	ok, failing := newTestPromise(), newTestPromise()
	failing.Name, failing.Kind = ok.Name, ok.Kind
	failing.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "the database quota is exhausted"}
	base := harness.Current().ProviderConfig()
	request := func(replicas int) string { return namedRequestHCL("rerun", replicas, "") }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, ok, "default", "rerun"),
		Steps: []resource.TestStep{
			{Config: base + ok.HCL() + request(1)},
			{
				Config:      base + failing.HCL() + request(2),
				ExpectError: regexp.MustCompile(`(?s)Configure workflow failed.*quota\s+is\s+exhausted.*next\s+terraform\s+apply\s+runs\s+its\s+workflow\s+again`),
			},
			{
				Config: base + ok.HCL() + request(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("conditions").AtMapKey("ConfigureWorkflowCompleted"), knownvalue.StringExact("True")),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("observed_generation"), knownvalue.Int64Exact(2)),
				},
			},
		},
	})
}
