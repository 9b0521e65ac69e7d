package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// quickstartLive are the quickstart's outputs of Kratix's live readiness.
var quickstartLive = []liveReadiness{
	{Output: "state_store_ready", Kind: "GitStateStore", Name: "quickstart"},
	{Output: "destination_ready", Kind: "Destination", Name: "quickstart-dev"},
}

// TestAccQuickstart applies and destroys examples/quickstart exactly as
// `make demo` does (connection from KUBE_* variables only), so the
// flagship example can never rot.
func TestAccQuickstart(t *testing.T) {
	testAccPreCheck(t)
	env := harness.Current()
	t.Setenv("KUBE_CONFIG_PATH", env.KubeconfigPath)
	// The state store is the quickstart's own repository on the local Git
	// server, as make demo passes it.
	git := testGitCredentials()
	t.Setenv("TF_VAR_state_store_url", testGitURL("quickstart"))
	t.Setenv("TF_VAR_git_username", git["username"])
	t.Setenv("TF_VAR_git_token", git["password"])
	t.Setenv("KUBE_CTX", env.Context)

	resource.Test(t, resource.TestCase{
		// The quickstart's state store takes write-only credentials.
		TerraformVersionChecks: harness.MinTerraform(tfversion.Version1_11_0),
		CheckDestroy:           checkPromisesGone(t),
		Steps: []resource.TestStep{{
			// The quickstart declares its own required_providers, so the
			// factories go on the step, as terraform-plugin-testing requires.
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          config.StaticDirectory(harness.RepoFile("examples", "quickstart")),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValueAtPath("promise", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
				statecheck.ExpectKnownOutputValue("state_store_ready", knownvalue.Bool(true)),
				statecheck.ExpectKnownOutputValue("destination_ready", knownvalue.Bool(true)),
				statecheck.ExpectKnownOutputValueAtPath("promise", tfjsonpath.New("kind"), knownvalue.StringExact("redis")),
				statecheck.ExpectKnownOutputValueAtPath("request", tfjsonpath.New("message"), knownvalue.StringExact("Resource requested")),
				statecheck.ExpectKnownOutputValueAtPath("request", tfjsonpath.New("pipelines"), expectWorkflows(map[string]knownvalue.Check{
					"instance-configure": knownvalue.StringExact("Succeeded"),
				})),
			},
			// Against the real Kratix, the dev Destination's documents are
			// in the repository. Both objects are ready when the apply
			// ends; they may turn not ready for a while later, so the
			// check waits until they are ready again; should one turn not
			// ready once more before the refresh, the plan check logs what
			// Kratix reported.
			Check: resource.ComposeTestCheckFunc(checkGitWritten(t, "quickstart", "main", "dev"), waitLiveReady(t, quickstartLive...)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				expectEmptyPlanButLiveReadiness(t, quickstartLive...),
			}},
		}},
	})
}
