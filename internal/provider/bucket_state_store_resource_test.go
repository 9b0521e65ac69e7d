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
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

const bucketStoreAddr = "kratix_bucket_state_store.test"

// bucketStoreHCL is a store on a bucket of the test's own (named after the
// store) on the local S3 server, which speaks plain HTTP: insecure = true.
func bucketStoreHCL(name, body string) string {
	return fmt.Sprintf(`
resource "kratix_bucket_state_store" "test" {
  name        = %q
  endpoint    = %q
  bucket_name = %[1]q
  insecure    = true
%[3]s
}
`, name, testS3Endpoint(), body)
}

// TestAccBucketStateStore_lifecycle: the provider writes the access key
// Secret from write-only arguments; create waits for Ready; import is
// identical; updates apply in place; rotation rewrites the Secret; destroy
// deletes the store and the Secret it wrote.
func TestAccBucketStateStore_lifecycle(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-bucket")
	secret := name + "-creds"
	acceptS3Key("AKIAEXAMPLE")
	base := harness.Current().ProviderConfig()
	body := func(secretKey string, version int, extra string) string {
		return fmt.Sprintf(`  secret_ref = { name = %q, namespace = "default" }
  access_key_id_wo       = "AKIAEXAMPLE"
  secret_access_key_wo   = %q
  credentials_wo_version = %d
%s`, secret, secretKey, version, extra)
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_11_0),
		CheckDestroy:             checkGone(t, gone(bucketStateStoresGVR, name), goneSecret("default", secret)),
		Steps: []resource.TestStep{
			{
				Config: base + bucketStoreHCL(name, body("first-secret-key-1111", 1, "")),
				Check:  checkSecretData(t, "default", secret, map[string]string{"accessKeyID": "AKIAEXAMPLE", "secretAccessKey": "first-secret-key-1111"}),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(bucketStoreAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(bucketStoreAddr, tfjsonpath.New("status"), knownvalue.StringExact("Ready")),
					statecheck.ExpectKnownValue(bucketStoreAddr, tfjsonpath.New("auth_method"), knownvalue.StringExact("accessKey")),
					statecheck.ExpectKnownValue(bucketStoreAddr, tfjsonpath.New("insecure"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(bucketStoreAddr, tfjsonpath.New("path"), knownvalue.Null()),
					statecheck.ExpectKnownValue(bucketStoreAddr, tfjsonpath.New("secret_access_key_wo"), knownvalue.Null()),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName:            bucketStoreAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts", "credentials_wo_version"},
			},
			{
				Config: base + bucketStoreHCL(name, body("first-secret-key-1111", 1, "  path = \"platform\"\n")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(bucketStoreAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(bucketStoreAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(bucketStoreAddr, tfjsonpath.New("path"), knownvalue.StringExact("platform")),
				},
			},
			{
				Config: base + bucketStoreHCL(name, body("rotated-secret-key-2222", 2, "  path = \"platform\"\n")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(bucketStoreAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkSecretData(t, "default", secret, map[string]string{"accessKeyID": "AKIAEXAMPLE", "secretAccessKey": "rotated-secret-key-2222"}),
			},
		},
	})
}

// TestAccBucketStateStore_secretNotFound: a Secret managed elsewhere that
// does not exist fails the apply with SecretNotFound and advice.
func TestAccBucketStateStore_secretNotFound(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-bucket")
	config := harness.Current().ProviderConfig() + bucketStoreHCL(name, fmt.Sprintf(`  secret_ref = { name = %q, namespace = "default" }`, name+"-missing"))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(bucketStateStoresGVR, name)),
		Steps: []resource.TestStep{
			{
				Config: config,
				// The served Kratix reports a missing Secret as ErrorInitialisingWriter.
				ExpectError: wrappedInOrder(byKratix("(SecretNotFound)", "(ErrorInitialisingWriter)", "(SecretNotFound)"), "Kratix cannot read the Secret default/"+name+"-missing"),
			},
			{
				PreConfig: func() {
					createTestSecret(t, "default", name+"-missing", testS3Credentials())
				},
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(bucketStoreAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
				},
			},
		},
	})
}

// TestAccBucketStateStore_planTimeValidation: one case per rule.
func TestAccBucketStateStore_planTimeValidation(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct{ name, body, want string }{
		{"enum", `auth_method = "token"`, `value must be one of`},
		{"accessKey needs secret_ref", ``, `secret_ref is required with accessKey`},
		{"secret_ref needs a namespace", `secret_ref = { name = "x" }`, `attribute "namespace" is required`},
		{"IAM reads no Secret", `auth_method = "IAM"
  secret_ref = { name = "x", namespace = "default" }
  access_key_id_wo = "AKIA"
  credentials_wo_version = 1`, `it reads no Secret`},
		{"incomplete access key", `secret_ref = { name = "x", namespace = "default" }
  access_key_id_wo = "AKIA"
  credentials_wo_version = 1`, `"secretAccessKey" is missing`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_11_0),
				Steps: []resource.TestStep{{
					Config:      harness.Current().ProviderConfig() + bucketStoreHCL("tf-acc-invalid", "  "+tc.body),
					PlanOnly:    true,
					ExpectError: wrapped(tc.want),
				}},
			})
		})
	}
}
