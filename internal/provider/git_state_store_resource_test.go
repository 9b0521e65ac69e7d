package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

const gitStoreAddr = "kratix_git_state_store.test"

func gitStoreHCL(name, body string) string {
	return fmt.Sprintf(`
resource "kratix_git_state_store" "test" {
  name = %q
%s
}
`, name, body)
}

// TestAccGitStateStore_lifecycle: a store whose Secret is managed outside
// Terraform; create waits for Ready, import is identical, defaults never
// show as drift, updates apply in place, and destroy deletes the store
// but not a Secret the provider does not own.
func TestAccGitStateStore_lifecycle(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-git")
	createTestSecret(t, "default", name+"-creds", testGitCredentials())
	// The update moves the store to another branch, which, as on a Git
	// host, must exist for Kratix to clone it.
	ensureTestBranch(t, name, "platform")
	base := harness.Current().ProviderConfig()
	body := func(extra string) string {
		return fmt.Sprintf("  url = %q\n  secret_ref = { name = %q }\n%s", testGitURL(name), name+"-creds", extra)
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkGone(t, gone(gitStateStoresGVR, name)),
			func(*terraform.State) error {
				if data, _ := readSecret(t, "default", name+"-creds"); data == nil {
					return fmt.Errorf("destroy deleted a Secret the provider does not own")
				}
				return nil
			},
		),
		Steps: []resource.TestStep{
			{
				Config: base + gitStoreHCL(name, body("")),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("status"), knownvalue.StringExact("Ready")),
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("branch"), knownvalue.StringExact("main")),
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("auth_method"), knownvalue.StringExact("basicAuth")),
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("secret_ref").AtMapKey("namespace"), knownvalue.StringExact("default")),
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("git_author").AtMapKey("name"), knownvalue.StringExact("kratix")),
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("conditions").AtSliceIndex(0).AtMapKey("reason"), knownvalue.StringExact("StateStoreReady")),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName:            gitStoreAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: base + gitStoreHCL(name, body(`  branch = "platform"
  path   = "clusters"
  git_author = { name = "platform-bot", email = "bot@example.com" }
`)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gitStoreAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("git_author").AtMapKey("email"), knownvalue.StringExact("bot@example.com")),
				},
			},
			{
				ResourceName:            gitStoreAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
		},
	})
}

// TestAccGitStateStore_secretNotFound: a secret_ref naming a missing
// Secret fails the apply with Kratix's reason and what to do; once the
// Secret exists the next apply succeeds.
func TestAccGitStateStore_secretNotFound(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-git")
	config := harness.Current().ProviderConfig() + gitStoreHCL(name, fmt.Sprintf(
		"  url = %q\n  secret_ref = { name = %q }\n", testGitURL(name), name+"-missing"))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(gitStateStoresGVR, name)),
		Steps: []resource.TestStep{
			{
				Config: config,
				// The served Kratix reports a missing Secret as ErrorInitialisingWriter.
				ExpectError: wrappedInOrder(byKratix("(SecretNotFound)", "(ErrorInitialisingWriter)", "(SecretNotFound)"), "Kratix cannot read the Secret default/"+name+"-missing"),
			},
			{
				// The failed store stayed in state, tainted: this apply replaces it.
				PreConfig: func() {
					createTestSecret(t, "default", name+"-missing", testGitCredentials())
				},
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// TestAccGitStateStore_writeOnlyCredentials: the provider writes and owns
// the Secret from write-only arguments, with exactly the keys Kratix reads;
// bumping credentials_wo_version rotates it (and a new auth method swaps
// its keys); a Secret deleted out of band is planned back; destroy deletes
// the Secret.
func TestAccGitStateStore_writeOnlyCredentials(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-git")
	secret := name + "-creds"
	acceptGitToken("kratix-bot", "first-token-1111")
	acceptGitToken("kratix-bot", "second-token-2222")
	base := harness.Current().ProviderConfig()
	basic := func(password string, version int) string {
		return base + gitStoreHCL(name, fmt.Sprintf(`  url = %q
  secret_ref = { name = %q }
  username_wo = "kratix-bot"
  password_wo = %q
  credentials_wo_version = %d
`, testGitURL(name), secret, password, version))
	}
	ssh := base + gitStoreHCL(name, fmt.Sprintf(`  url = "git@git.example.com:platform/state.git"
  auth_method = "ssh"
  secret_ref = { name = %q }
  ssh_private_key_wo = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key\n-----END OPENSSH PRIVATE KEY-----\n"
  known_hosts_wo = "git.example.com ssh-ed25519 AAAAnotahostkey"
  credentials_wo_version = 3
`, secret))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_11_0),
		CheckDestroy:             checkGone(t, gone(gitStateStoresGVR, name), goneSecret("default", secret)),
		Steps: []resource.TestStep{
			{
				Config: basic("first-token-1111", 1),
				Check: resource.ComposeTestCheckFunc(
					checkSecretData(t, "default", secret, map[string]string{"username": "kratix-bot", "password": "first-token-1111"}),
					func(*terraform.State) error {
						if _, ann := readSecret(t, "default", secret); ann[annotationSecretOwner] != "GitStateStore/"+name {
							return fmt.Errorf("the Secret does not record its owner: %v", ann)
						}
						return nil
					},
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("password_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("credentials_wo_version"), knownvalue.Int64Exact(1)),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// A new value alone is invisible to Terraform: nothing to do.
				Config:   basic("second-token-2222", 1),
				PlanOnly: true,
			},
			{
				// Rotation: the version changes, the Secret is rewritten.
				Config: basic("second-token-2222", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gitStoreAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkSecretData(t, "default", secret, map[string]string{"username": "kratix-bot", "password": "second-token-2222"}),
			},
			{
				// Deleted out of band: the next plan writes it again.
				PreConfig: func() { deleteSecret(t, "default", secret) },
				Config:    basic("second-token-2222", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(gitStoreAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkSecretData(t, "default", secret, map[string]string{"username": "kratix-bot", "password": "second-token-2222"}),
			},
			{
				// Another auth method: the Secret holds exactly its keys.
				// The local platform has no SSH server, so the real Kratix
				// could never make this store Ready.
				SkipFunc: skipInRealMode,
				Config:   ssh,
				Check: checkSecretData(t, "default", secret, map[string]string{
					"sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-key\n-----END OPENSSH PRIVATE KEY-----\n",
					"knownHosts":    "git.example.com ssh-ed25519 AAAAnotahostkey",
				}),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName:            gitStoreAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts", "credentials_wo_version"},
			},
		},
	})
}

// TestAccGitStateStore_secretOwnership: moving secret_ref moves the owned
// Secret (the old one is deleted); dropping the credentials while
// secret_ref still names the Secret hands it over: it is kept, unmarked,
// and destroy leaves it alone.
func TestAccGitStateStore_secretOwnership(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-git")
	first, second := name+"-first", name+"-second"
	t.Cleanup(func() {
		_ = harness.Current().Dynamic(t).Resource(secretsGVR).Namespace("default").Delete(context.Background(), second, metav1.DeleteOptions{})
	})
	acceptGitToken("kratix-bot", "token-Rr71")
	config := func(secret, credentials string) string {
		return harness.Current().ProviderConfig() + gitStoreHCL(name, fmt.Sprintf(`  url = %q
  secret_ref = { name = %q }
%s`, testGitURL(name), secret, credentials))
	}
	owned := `  username_wo = "kratix-bot"
  password_wo = "token-Rr71"
  credentials_wo_version = 1
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_11_0),
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkGone(t, gone(gitStateStoresGVR, name)),
			checkSecretData(t, "default", second, map[string]string{"username": "kratix-bot", "password": "token-Rr71"}),
		),
		Steps: []resource.TestStep{
			{
				Config: config(first, owned),
				Check:  checkSecretData(t, "default", first, map[string]string{"username": "kratix-bot", "password": "token-Rr71"}),
			},
			{
				Config: config(second, owned),
				Check: resource.ComposeTestCheckFunc(
					checkSecretData(t, "default", second, map[string]string{"username": "kratix-bot", "password": "token-Rr71"}),
					checkGone(t, goneSecret("default", first)),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(gitStoreAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
				},
			},
			{
				Config: config(second, ""),
				Check: resource.ComposeTestCheckFunc(
					checkSecretData(t, "default", second, map[string]string{"username": "kratix-bot", "password": "token-Rr71"}),
					func(*terraform.State) error {
						if _, ann := readSecret(t, "default", second); ann[annotationSecretOwner] != "" {
							return fmt.Errorf("the handed-over Secret still carries the provider's mark")
						}
						return nil
					},
				),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// TestAccGitStateStore_planTimeValidation: one case per rule, each an
// attribute error at plan time.
func TestAccGitStateStore_planTimeValidation(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct{ name, body, want string }{
		{"enum", `url = "https://git.example.com/a/b.git"
  auth_method = "token"`, `value must be one of`},
		{"https URL needs basicAuth or githubApp, not ssh", `url = "https://git.example.com/a/b.git"
  auth_method = "ssh"`, `is not an SSH URL`},
		{"ssh URL with basicAuth", `url = "git@git.example.com:a/b.git"`, `set auth_method = "ssh"`},
		{"not a URL", `url = "git.example.com/a/b"
  auth_method = "githubApp"`, `is not an http(s) URL`},
		{"ssh credentials with basicAuth", `url = "https://git.example.com/a/b.git"
  secret_ref = { name = "x" }
  ssh_private_key_wo = "key"
  credentials_wo_version = 1`, `"sshPrivateKey" is read with authMethod ssh`},
		{"incomplete githubApp credentials", `url = "https://github.com/a/b.git"
  auth_method = "githubApp"
  secret_ref = { name = "x" }
  github_app_id_wo = "123"
  github_private_key_wo = "pem"
  credentials_wo_version = 1`, `"installationID" is missing`},
		{"credentials without a version", `url = "https://git.example.com/a/b.git"
  secret_ref = { name = "x" }
  username_wo = "u"
  password_wo = "p"`, `credentials_wo_version is required with credentials`},
		{"version without credentials", `url = "https://git.example.com/a/b.git"
  credentials_wo_version = 1`, `credentials_wo_version without credentials`},
		{"credentials without secret_ref", `url = "https://git.example.com/a/b.git"
  username_wo = "u"
  password_wo = "p"
  credentials_wo_version = 1`, `secret_ref is required with credentials`},
		{"adopting without credentials", `url = "https://git.example.com/a/b.git"
  secret_ref = { name = "x" }
  adopt_existing_secret = true`, `adopt_existing_secret without credentials`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_11_0),
				Steps: []resource.TestStep{{
					Config:      harness.Current().ProviderConfig() + gitStoreHCL("tf-acc-invalid", "  "+tc.body),
					PlanOnly:    true,
					ExpectError: wrapped(tc.want),
				}},
			})
		})
	}
}
