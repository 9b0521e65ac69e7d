package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccDestination_updateWaitsForItsOwnCondition: an update that moves a
// Ready Destination to a store that is not ready, and turns cleanup on,
// makes Kratix write the Destination twice: its finalizer first, with the
// old Ready=True still in place, then Ready=False. The first write must
// not end the wait: the apply reports the Destination not ready. Once the
// store's Secret exists, the next apply succeeds (and, with cleanup = "all",
// lets Kratix's finalizer clean the store up at destroy).
func TestAccDestination_updateWaitsForItsOwnCondition(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	base := harness.Current().ProviderConfig() + testStoreHCL(t, name) + fmt.Sprintf(`
resource "kratix_git_state_store" "broken" {
  name       = "%[1]s-broken"
  url        = %[2]q
  secret_ref = { name = "%[1]s-missing" }
  wait       = false
}
`, name, testGitURL(name+"-broken"))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(destinationsGVR, name), gone(gitStateStoresGVR, name)),
		Steps: []resource.TestStep{
			{Config: base + destinationHCL(name, "kratix_git_state_store.store.name", `  path = "dev"`)},
			{
				Config: base + destinationHCL(name, "kratix_git_state_store.broken.name", "  path = \"dev\"\n  cleanup = \"all\""),
				// The served Kratix reports a store without its Secret as a failed write.
				ExpectError: wrappedInOrder(byKratix("Ready=False (StateStoreNotReady)", "Ready=False (StateStoreWriteFailed)", "Ready=False (StateStoreNotReady)"),
					"The state store GitStateStore/"+name+"-broken is not ready"),
			},
			{
				// The failed update is in the state as applied (Terraform
				// taints only a failed create), so this apply has nothing to
				// change and does not wait: Kratix writes once it sees the
				// Secret, the store turns Ready and the Destination is
				// reconciled again (Kratix 2026 takes a few seconds, through
				// the store), so the check waits for the write.
				PreConfig: func() { createTestSecret(t, "default", name+"-missing", testGitCredentials()) },
				Config:    base + destinationHCL(name, "kratix_git_state_store.broken.name", "  path = \"dev\"\n  cleanup = \"all\""),
				Check:     eventually(time.Minute, checkGitWritten(t, name+"-broken", "main", "dev")),
			},
		},
	})
}

// eventually retries check every second until it passes or timeout
// elapses, and returns its last error.
func eventually(timeout time.Duration, check resource.TestCheckFunc) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		deadline := time.Now().Add(timeout)
		for {
			err := check(s)
			if err == nil || time.Now().After(deadline) {
				return err
			}
			time.Sleep(time.Second)
		}
	}
}
