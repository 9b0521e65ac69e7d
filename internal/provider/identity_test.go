package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// identityHCL is one object of each resource, and a second request named
// by its api_version and kind instead of its Promise.
func identityHCL(t *testing.T, p testPromise, name string) string {
	t.Helper()
	createTestSecret(t, "default", name+"-s3", map[string]string{"accessKeyID": "AKIAIDENTITY", "secretAccessKey": "identity-secret-key-1111"})
	acceptS3Key("AKIAIDENTITY")
	return harness.Current().ProviderConfig() + testStoreHCL(t, name) + p.HCL() + destinationHCL(name, "kratix_git_state_store.store.name", `  path = "dev"`) + fmt.Sprintf(`
resource "kratix_bucket_state_store" "test" {
  name        = %[1]q
  endpoint    = %[2]q
  bucket_name = %[1]q
  insecure    = true
  secret_ref  = { name = "%[1]s-s3", namespace = "default" }
}

resource "kratix_resource_request" "test" {
  promise = kratix_promise.test.name
  name    = "by-promise"
  spec    = { replicas = 1 }
}

resource "kratix_resource_request" "by_kind" {
  api_version = "test.kratix.io/v1alpha1"
  kind        = %[3]q
  name        = "by-kind"
  namespace   = "default"
  spec        = { replicas = 1 }
  depends_on  = [kratix_promise.test]
}
`, name, testS3Endpoint(), p.Kind)
}

// TestAccIdentity_allResources: each resource reports its identity, an
// import block with only that identity imports it with nothing to change,
// and a request is named by its Promise or, without one, by api_version
// and kind.
func TestAccIdentity_allResources(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.ResourceIdentity)
	p := newTestPromise()
	name := acctest.RandomWithPrefix("tf-acc-ident")
	config := identityHCL(t, p, name)
	str := knownvalue.StringExact
	byName := func(addr, n string) statecheck.StateCheck {
		return statecheck.ExpectIdentity(addr, map[string]knownvalue.Check{"name": str(n)})
	}
	importByIdentity := func(addr string) resource.TestStep {
		return resource.TestStep{Config: config, ResourceName: addr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity}
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_12_0),
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkPromisesGone(t),
			checkGone(t, gone(gitStateStoresGVR, name), gone(bucketStateStoresGVR, name), gone(destinationsGVR, name)),
		),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					byName(promiseAddr, p.Name),
					byName(destinationAddr, name),
					byName("kratix_git_state_store.store", name),
					byName("kratix_bucket_state_store.test", name),
					statecheck.ExpectIdentity(requestAddr, map[string]knownvalue.Check{
						"promise": str(p.Name), "namespace": str("default"), "name": str("by-promise"),
						"api_version": knownvalue.Null(), "kind": knownvalue.Null(),
					}),
					statecheck.ExpectIdentity("kratix_resource_request.by_kind", map[string]knownvalue.Check{
						"promise": knownvalue.Null(), "namespace": str("default"), "name": str("by-kind"),
						"api_version": str("test.kratix.io/v1alpha1"), "kind": str(p.Kind),
					}),
				},
			},
			importByIdentity(promiseAddr),
			importByIdentity(destinationAddr),
			importByIdentity("kratix_git_state_store.store"),
			importByIdentity("kratix_bucket_state_store.test"),
			importByIdentity(requestAddr),
			importByIdentity("kratix_resource_request.by_kind"),
		},
	})
}

// TestAccIdentity_requestIdentityNamesOneWay: an import block whose
// identity names both the Promise and the kind is refused at plan, saying
// which to set.
func TestAccIdentity_requestIdentityNamesOneWay(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.ResourceIdentity)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_12_0),
		Steps: []resource.TestStep{{
			Config: harness.Current().ProviderConfig() + `
import {
  to       = kratix_resource_request.test
  identity = { promise = "redis", api_version = "marketplace.kratix.io/v1alpha1", kind = "redis", namespace = "default", name = "x" }
}

resource "kratix_resource_request" "test" {
  promise = "redis"
  name    = "x"
  spec    = {}
}
`,
			PlanOnly:    true,
			ExpectError: wrappedInOrder("Invalid import identity", "set either promise or api_version and kind, not both"),
		}},
	})
}
