package provider

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccStateStore_credentialsNeverStored applies (and rotates)
// write-only credentials for both kinds of store with the provider logging
// at DEBUG, then asserts that no credential appears in the state Terraform
// shows, in the raw terraform.tfstate files of the working directory, or in
// the provider's log. The served Kratix's GitStateStore CRD has no
// githubApp auth method, so against it the GitHub App store is left out.
func TestAccStateStore_credentialsNeverStored(t *testing.T) {
	testAccPreCheck(t)
	withApp := !harness.Current().Real()
	work := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "provider-debug.log")
	t.Setenv("TF_ACC_TEMP_DIR", work)
	t.Setenv("TF_LOG", "DEBUG")
	t.Setenv("TF_LOG_PATH", logFile)

	suffix := acctest.RandString(8)
	git, bucket := "tf-acc-git-"+suffix, "tf-acc-bucket-"+suffix
	credentials := map[int][]string{
		1: {"gitpass-Zq81-first", "bucketkey-Xw52-first", "github-app-pem-Kd93-first"},
		2: {"gitpass-Zq81-rotated", "bucketkey-Xw52-rotated", "github-app-pem-Kd93-rotated"},
	}
	for _, version := range []int{1, 2} {
		acceptGitToken("kratix-bot", credentials[version][0])
	}
	acceptS3Key("AKIAEXAMPLE")
	config := func(version int) string {
		c := credentials[version]
		app := fmt.Sprintf(`
resource "kratix_git_state_store" "app" {
  name                      = "%[1]s-app"
  url                       = "https://github.com/platform/state.git"
  auth_method               = "githubApp"
  secret_ref                = { name = "%[1]s-app-creds" }
  github_app_id_wo          = "123456"
  github_installation_id_wo = "7890"
  github_private_key_wo     = %[2]q
  credentials_wo_version    = %[3]d
}
`, git, c[2], version)
		if !withApp {
			app = ""
		}
		return harness.Current().ProviderConfig() + app + fmt.Sprintf(`
resource "kratix_git_state_store" "basic" {
  name                   = %[1]q
  url                    = %[6]q
  secret_ref             = { name = "%[1]s-creds" }
  username_wo            = "kratix-bot"
  password_wo            = %[3]q
  credentials_wo_version = %[5]d
}

resource "kratix_bucket_state_store" "test" {
  name                   = %[2]q
  endpoint               = %[7]q
  bucket_name            = %[2]q
  insecure               = true
  secret_ref             = { name = "%[2]s-creds", namespace = "default" }
  access_key_id_wo       = "AKIAEXAMPLE"
  secret_access_key_wo   = %[4]q
  credentials_wo_version = %[5]d
}
`, git, bucket, c[0], c[1], version, testGitURL(git), testS3Endpoint())
	}
	all := append(append([]string{}, credentials[1]...), credentials[2]...)
	rawStateClean := func(*terraform.State) error { return checkNoSecretsInFiles(work, "terraform.tfstate*", all) }

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_11_0),
		CheckDestroy: checkGone(t, gone(gitStateStoresGVR, git), gone(bucketStateStoresGVR, bucket),
			goneSecret("default", git+"-creds"), goneSecret("default", git+"-app-creds"), goneSecret("default", bucket+"-creds")),
		Steps: []resource.TestStep{
			{
				Config:            config(1),
				ConfigStateChecks: []statecheck.StateCheck{noSecretsInState{all}},
				Check: resource.ComposeTestCheckFunc(
					rawStateClean,
					func(s *terraform.State) error {
						if !withApp {
							return checkSecretData(t, "default", git+"-creds", map[string]string{"username": "kratix-bot", "password": credentials[1][0]})(s)
						}
						return checkSecretData(t, "default", git+"-app-creds", map[string]string{"appID": "123456", "installationID": "7890", "privateKey": credentials[1][2]})(s)
					},
				),
			},
			{
				Config:            config(2),
				ConfigStateChecks: []statecheck.StateCheck{noSecretsInState{all}},
				Check: resource.ComposeTestCheckFunc(
					rawStateClean,
					checkSecretData(t, "default", bucket+"-creds", map[string]string{"accessKeyID": "AKIAEXAMPLE", "secretAccessKey": credentials[2][1]}),
				),
			},
		},
	})

	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("reading the provider's debug log: %v", err)
	}
	if !bytes.Contains(log, []byte("wrote state store secret")) {
		t.Fatalf("the provider's debug log (%d bytes) does not show the Secret writes; the check would prove nothing", len(log))
	}
	for _, v := range secretForms(all) {
		if bytes.Contains(log, []byte(v)) {
			t.Fatalf("a credential appears in the provider's debug log %s", logFile)
		}
	}
}
