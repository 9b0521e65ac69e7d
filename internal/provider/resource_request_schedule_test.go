package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccResourceRequest_unschedulable: with wait_for = "delivered", a
// Promise whose destination selectors match no Destination fails the apply
// once Kratix reports the request's Works unscheduled, naming the selectors
// and the Destinations there are, instead of waiting out the create
// timeout; so does the data source's wait. Labelling the Destination as
// the error advises lets the next apply deliver.
func TestAccResourceRequest_unschedulable(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.Extra = fmt.Sprintf(`  destination_selectors = [{ match_labels = { "tfacc-sched" = %q } }]`, p.Name)
	dest := acctest.RandomWithPrefix("tf-acc-sched")
	base := harness.Current().ProviderConfig() + p.HCL() + testStoreHCL(t, dest)
	destinationWith := func(labels string) string {
		return destinationHCL(dest, "kratix_git_state_store.store.name", fmt.Sprintf("  path = %q\n  labels = { %s }", dest, labels))
	}
	// The create timeout is far longer than the wait for a Destination, so
	// a wait that does not look at the Works fails by timeout instead.
	request := requestHCL(`{ replicas = 1 }`, `  wait_for   = "delivered"
  depends_on = [kratix_destination.test]
  timeouts {
    create = "2m"
  }
`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "example"),
		Steps: []resource.TestStep{
			{
				Config: base + destinationWith(fmt.Sprintf("team = %q", dest)) + request,
				ExpectError: wrappedInOrder(
					"Cannot deliver", "The configure workflow for generation 1 finished.",
					fmt.Sprintf("which selects {tfacc-sched=%s} (set by: promise)", p.Name),
					"Destinations (", fmt.Sprintf("%s: {team=%s}", dest, dest),
					"Label a Destination with these labels", "What the wait saw:",
				),
			},
			{
				// The data source's wait for delivery fails the same way.
				Config: base + destinationWith(fmt.Sprintf("team = %q", dest)) + requestHCL(`{ replicas = 1 }`, `  wait_for = "none"`) + `
data "kratix_resource_request" "delivered" {
  promise  = kratix_resource_request.test.promise
  name     = kratix_resource_request.test.name
  wait_for = "delivered"
  timeouts {
    read = "2m"
  }
}
`,
				ExpectError: wrappedInOrder("cannot be delivered", fmt.Sprintf("which selects {tfacc-sched=%s}", p.Name), "Label a Destination"),
			},
			{
				Config: base + destinationWith(fmt.Sprintf("team = %q, \"tfacc-sched\" = %q", dest, p.Name)) + request,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("conditions").AtMapKey("WorksSucceeded"), knownvalue.StringExact("True")),
				},
			},
		},
	})
}

// TestAccResourceRequest_unschedulableInPipelineNamespace: when the Promise
// sets pipeline_namespace, Kratix writes the request's Works there (labelled
// with the request's namespace), and the wait for delivery still fails as
// soon as they cannot be scheduled.
func TestAccResourceRequest_unschedulableInPipelineNamespace(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipInRealMode(t, harness.RealWorksSucceededInRequestNamespace)
	p := newTestPromise()
	p.Extra = fmt.Sprintf(`  destination_selectors = [{ match_labels = { "tfacc-sched" = %q } }]
  pipeline_namespace    = "kratix-platform-system"`, p.Name)
	dest := acctest.RandomWithPrefix("tf-acc-sched")
	base := harness.Current().ProviderConfig() + p.HCL() + testStoreHCL(t, dest)
	destinationWith := func(labels string) string {
		return destinationHCL(dest, "kratix_git_state_store.store.name", fmt.Sprintf("  path = %q\n  labels = { %s }", dest, labels))
	}
	request := requestHCL(`{ replicas = 1 }`, `  wait_for   = "delivered"
  depends_on = [kratix_destination.test]
  timeouts {
    create = "1m"
  }
`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "example"),
		Steps: []resource.TestStep{
			{
				Config:      base + destinationWith(fmt.Sprintf("team = %q", dest)) + request,
				ExpectError: wrappedInOrder("Cannot deliver", fmt.Sprintf("which selects {tfacc-sched=%s} (set by: promise)", p.Name), "Label a Destination"),
			},
			{
				Config: base + destinationWith(fmt.Sprintf("team = %q, \"tfacc-sched\" = %q", dest, p.Name)) + request,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("conditions").AtMapKey("WorksSucceeded"), knownvalue.StringExact("True")),
				},
			},
		},
	})
}
