package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccPlacements_requestAndPromise: a request applied with wait_for =
// "delivered" reports, when apply returns, the Destination its work went
// to and the directory in the state store (the store's path, the
// Destination's, then resources/<namespace>/<promise>/<request>/<pipeline>/
// <id>); the Promise reports its own work under dependencies/. Refresh and
// the data sources give the same. Against the real Kratix, the files are
// in the Git repository at that path.
func TestAccPlacements_requestAndPromise(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.PromiseConfigureEnv = map[string]string{}
	p.Extra = fmt.Sprintf(`  destination_selectors = [{ match_labels = { "tfacc-placement" = %q } }]`, p.Name)
	dest := acctest.RandomWithPrefix("tf-acc-placed")
	createTestSecret(t, "default", dest+"-creds", testGitCredentials())
	config := harness.Current().ProviderConfig() + p.HCL() + fmt.Sprintf(`
resource "kratix_git_state_store" "store" {
  name       = %[1]q
  url        = %[2]q
  path       = "clusters"
  secret_ref = { name = "%[1]s-creds" }
}
`, dest, testGitURL(dest)) + destinationHCL(dest, "kratix_git_state_store.store.name",
		fmt.Sprintf("  path = %q\n  labels = { \"tfacc-placement\" = %q }", dest, p.Name)) +
		requestHCL(`{ replicas = 1 }`, `  wait_for   = "delivered"
  depends_on = [kratix_destination.test]
`) + `
data "kratix_resource_request" "test" {
  promise = kratix_resource_request.test.promise
  name    = kratix_resource_request.test.name
}

data "kratix_promise" "test" {
  name       = kratix_promise.test.name
  depends_on = [kratix_resource_request.test]
}
`
	requestPath := regexp.MustCompile(fmt.Sprintf(`^clusters/%s/resources/default/%s/example/configure/[a-z0-9]+$`, dest, p.Name))
	promisePath := regexp.MustCompile(fmt.Sprintf(`^clusters/%s/dependencies/%s/promise-configure/[a-z0-9]+$`, dest, p.Name))
	placed := func(pipeline string, path *regexp.Regexp) knownvalue.Check {
		return knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(map[string]knownvalue.Check{
			"destination":      knownvalue.StringExact(dest),
			"pipeline":         knownvalue.StringExact(pipeline),
			"path":             knownvalue.StringRegexp(path),
			"filepath_mode":    knownvalue.StringExact("nestedByMetadata"),
			"state_store_kind": knownvalue.StringExact("GitStateStore"),
			"state_store_name": knownvalue.StringExact(dest),
			"misplaced":        knownvalue.Bool(false),
		})})
	}
	const promiseAddr = "kratix_promise.test"
	checks := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("placements"), placed("configure", requestPath)),
		statecheck.CompareValuePairs(requestAddr, tfjsonpath.New("placements"), "data.kratix_resource_request.test", tfjsonpath.New("placements"), compare.ValuesSame()),
		statecheck.ExpectKnownValue("data.kratix_promise.test", tfjsonpath.New("placements"), placed("promise-configure", promisePath)),
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "example"),
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: checks,
				Check:             checkPlacedInGit(t, dest, requestAddr),
			},
			{
				// The refresh reads them again, from one shared read.
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: append(checks,
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("placements"), placed("promise-configure", promisePath))),
				Check: checkPlacedInGit(t, dest, promiseAddr),
			},
		},
	})
}

// checkPlacedInGit checks, against the real Kratix, that the first
// placement's path of the resource at addr holds files in the test's Git
// repository. The emulator writes nothing.
func checkPlacedInGit(t *testing.T, repo, addr string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s is not in the state", addr)
		}
		path := rs.Primary.Attributes["placements.0.path"]
		if path == "" {
			return fmt.Errorf("%s has no placement path", addr)
		}
		return checkGitWritten(t, repo, "main", path)(s)
	}
}
