package provider

import (
	"fmt"
	"strings"
	"testing"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccList_requestsByPromiseVersion: `promise_version` lists only the
// requests that run that version: with the Promise at v2, a request pinned
// to v1 is listed for v1 and one that follows the latest for v2, each only
// there.
func TestAccList_requestsByPromiseVersion(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipWithEmulator(t, harness.EmulatorNoVersionUpgrades)
	harness.SkipInRealModeWithoutKratix2026(t, "Kratix before 2026 has no versioned Promises (PromiseRevisions, ResourceBindings)")
	harness.NeedCLIFeature(t, harness.ListResources)
	p := newTestPromise()
	promise := func(version string) string {
		q := p
		q.Version = version
		return harness.Current().ProviderConfig() + q.HCL()
	}
	latest := `
resource "kratix_resource_request" "latest" {
  promise    = kratix_promise.test.name
  name       = "follows-latest"
  spec       = { size = "small", replicas = 1 }
  depends_on = [kratix_resource_request.test]
}
`
	cli := appliedCLI(t, promise("v1.0.0")+versionedRequestHCL("v1.0.0"))
	cli.write(promise("v2.0.0") + versionedRequestHCL("v1.0.0") + latest)
	cli.run("apply", "-auto-approve", "-input=false")

	query := func(version string) string {
		cli.writeFile("version.tfquery.hcl", fmt.Sprintf(`list "kratix_resource_request" "at" {
  provider = kratix
  config {
    promise         = %q
    promise_version = %q
  }
}
`, p.Name, version))
		return cli.run("query")
	}
	pinned, following := p.Name+"/default/example", p.Name+"/default/follows-latest"
	if out := query("v1.0.0"); !strings.Contains(out, pinned) || strings.Contains(out, following) {
		t.Errorf("the query for v1.0.0 should list only %s:\n%s", pinned, out)
	}
	if out := query("v2.0.0"); !strings.Contains(out, following) || strings.Contains(out, pinned) {
		t.Errorf("the query for v2.0.0 should list only %s:\n%s", following, out)
	}
}
