package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccDestinationDataSources reads a Destination by name and lists
// Destinations by label, next to one on a missing store that is not ready.
func TestAccDestinationDataSources(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	label := acctest.RandString(10)
	createDestination(t, name+"-orphan", name+"-nowhere", "orphan")
	patchDestination(t, name+"-orphan", fmt.Sprintf(`{"metadata":{"labels":{"tf-acc-test":%q}}}`, label))
	config := harness.Current().ProviderConfig() + testStoreHCL(t, name) + destinationHCL(name, "kratix_git_state_store.store.name",
		fmt.Sprintf(`  path   = "dev"
  labels = { environment = "dev", "tf-acc-test" = %q }`, label)) + fmt.Sprintf(`
data "kratix_destination" "test" {
  name = kratix_destination.test.name
}

data "kratix_destinations" "labelled" {
  label_selector = "tf-acc-test=%s"
  depends_on     = [kratix_destination.test]
}

data "kratix_destinations" "none" {
  label_selector = "tf-acc-test=%s-nothing"
}
`, label, label)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.kratix_destination.test", tfjsonpath.New("ready"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.kratix_destination.test", tfjsonpath.New("reason"), knownvalue.StringExact("TestDocumentsWritten")),
				statecheck.ExpectKnownValue("data.kratix_destination.test", tfjsonpath.New("path"), knownvalue.StringExact("dev")),
				statecheck.ExpectKnownValue("data.kratix_destination.test", tfjsonpath.New("labels").AtMapKey("environment"), knownvalue.StringExact("dev")),
				statecheck.ExpectKnownValue("data.kratix_destination.test", tfjsonpath.New("state_store"), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"kind": knownvalue.StringExact("GitStateStore"), "name": knownvalue.StringExact(name),
				})),
				statecheck.ExpectKnownValue("data.kratix_destination.test", tfjsonpath.New("conditions").AtSliceIndex(0).AtMapKey("type"), knownvalue.StringExact("Ready")),
				statecheck.ExpectKnownValue("data.kratix_destinations.labelled", tfjsonpath.New("destinations"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{"name": knownvalue.StringExact(name), "ready": knownvalue.Bool(true)}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"name": knownvalue.StringExact(name + "-orphan"), "ready": knownvalue.Bool(false),
						// The served Kratix reports a missing store as a failed write.
						"reason": stringByKratix("StateStoreNotFound", "StateStoreWriteFailed", "StateStoreNotFound"), "path": knownvalue.StringExact("orphan"),
					}),
				})),
				statecheck.ExpectKnownValue("data.kratix_destinations.none", tfjsonpath.New("destinations"), knownvalue.ListSizeExact(0)),
			},
		}},
	})
}
