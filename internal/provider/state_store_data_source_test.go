package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccStateStoreDataSource reads a ready store and one whose Secret is
// missing (created with wait = false), with Kratix's reason.
func TestAccStateStoreDataSource(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-store")
	config := harness.Current().ProviderConfig() + testStoreHCL(t, name) + fmt.Sprintf(`
resource "kratix_bucket_state_store" "broken" {
  name        = "%[1]s-broken"
  endpoint    = %[2]q
  bucket_name = "%[1]s-broken"
  insecure    = true
  secret_ref  = { name = "%[1]s-missing", namespace = "default" }
  wait        = false
}

data "kratix_state_store" "git" {
  kind = "GitStateStore"
  name = kratix_git_state_store.store.name
}

data "kratix_state_store" "broken" {
  kind       = "BucketStateStore"
  name       = kratix_bucket_state_store.broken.name
}
`, name, testS3Endpoint())

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(gitStateStoresGVR, name), gone(bucketStateStoresGVR, name+"-broken")),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.kratix_state_store.git", tfjsonpath.New("ready"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("data.kratix_state_store.git", tfjsonpath.New("status"), knownvalue.StringExact("Ready")),
					statecheck.ExpectKnownValue("data.kratix_state_store.git", tfjsonpath.New("reason"), knownvalue.StringExact("StateStoreReady")),
				},
			},
			{
				// The broken store's status arrives after its apply: read it
				// again on the next refresh.
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.kratix_state_store.broken", tfjsonpath.New("ready"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("data.kratix_state_store.broken", tfjsonpath.New("status"), knownvalue.StringExact("NotReady")),
					statecheck.ExpectKnownValue("data.kratix_state_store.broken", tfjsonpath.New("reason"), stringByKratix("SecretNotFound", "ErrorInitialisingWriter", "SecretNotFound")),
					statecheck.ExpectKnownValue("kratix_bucket_state_store.broken", tfjsonpath.New("ready"), knownvalue.Bool(false)),
				},
			},
		},
	})
}

// TestAccStateStoreDataSource_kindEnum: the kind is checked at plan time.
func TestAccStateStoreDataSource_kindEnum(t *testing.T) {
	testAccPreCheck(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: harness.Current().ProviderConfig() + `
data "kratix_state_store" "x" {
  kind = "HelmStateStore"
  name = "x"
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`value must be one of`),
		}},
	})
}
