package provider

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// unreachableRequests is how many requests the unreachable-server test
// refreshes, as many as in the issue: with the Promise, 51 reads, six
// waves of Terraform's default -parallelism of 10. Applying them against
// the emulator takes seconds.
const unreachableRequests = 50

// TestAccPlan_unreachableServerFailsWithinOneReadTimeout: an API server
// whose packets are dropped (as seen from a CI runner outside its private
// network) makes a plan fail after one timeouts.read, not after one per
// wave of -parallelism reads: once the first reads have waited their whole
// timeout, the others fail at once, saying since when the server has not
// answered, naming it and what to check. No request leaves the state.
func TestAccPlan_unreachableServerFailsWithinOneReadTimeout(t *testing.T) {
	testAccPreCheck(t)
	proxy := harness.Current().StartFaultProxy(t)
	p := newTestPromise()
	p.ConfigureEnv = nil // no pipeline Jobs: the test needs the requests, not their workflows
	// force_destroy: the requests do not depend on the Promise (below), so
	// the destroy at the end deletes the Promise beside them, which the
	// provider refuses while requests remain; with real Kratix's delete
	// pipelines they do for a while.
	p.Extra = "  force_destroy = true\n  timeouts {\n    read = \"20s\"\n  }\n"
	base := proxy.ProviderConfig() + p.HCL()
	cli := appliedCLI(t, base)
	t.Cleanup(func() { proxy.SetBlackHole(false) }) // before the destroy
	// The requests name the Promise literally, not through
	// kratix_promise.test, so that their reads do not wait for the
	// Promise's: all 51 are refreshed side by side, ten at a time.
	config := base + fmt.Sprintf(`
resource "kratix_resource_request" "r" {
  count    = %d
  promise  = %q
  name     = "unreachable-${count.index}"
  spec     = { replicas = 1 }
  wait_for = "none"
  timeouts {
    read = "20s"
  }
}
`, unreachableRequests, p.Name)
	cli.write(config)
	cli.run("apply", "-auto-approve", "-input=false")

	proxy.SetBlackHole(true)
	start := time.Now()
	out, err := cli.try("plan", "-input=false")
	took := time.Since(start)
	if err == nil {
		t.Fatalf("the plan against an unreachable API server succeeded:\n%s", out)
	}
	t.Logf("the plan failed after %s", took.Round(time.Second))
	// One timeouts.read is 20s; six waves of reads that each wait it
	// take two minutes, and even two waves take 40s. 40s leaves 20s for
	// Terraform's own start and a busy machine, yet cannot be met by
	// waves that each wait their timeout.
	if took >= 40*time.Second {
		t.Errorf("the plan took %s: the reads waited their timeouts.read (20s) one wave after another", took)
	}
	host, err := url.Parse(proxy.URL())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{host.Host, "has not answered since", "timeouts.read", "VPN"} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan's errors do not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "to publish") ||
		regexp.MustCompile(`(?i)promises?[^\n]*in namespace "default"`).MatchString(out) {
		t.Errorf("the plan's errors speak of publishing an API, or of a namespace for the Promise:\n%s", out)
	}

	// Nothing left the state, and once the server answers the plan is
	// empty: no request is planned for creation.
	if n := requestsInState(t, cli); n != unreachableRequests {
		t.Errorf("the state holds %d requests, want %d", n, unreachableRequests)
	}
	proxy.SetBlackHole(false)
	if out, err := cli.try("plan", "-input=false", "-detailed-exitcode"); err != nil {
		t.Errorf("the plan once the server answers again: %v\n%s", err, out)
	}
}

// requestsInState counts the kratix_resource_request.r instances in the
// working directory's state file.
func requestsInState(t *testing.T, cli *terraformCLI) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(cli.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			Type, Name string
			Instances  []json.RawMessage
		}
	}
	if err := json.Unmarshal(data, &state); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range state.Resources {
		if r.Type == "kratix_resource_request" && r.Name == "r" {
			n += len(r.Instances)
		}
	}
	return n
}
