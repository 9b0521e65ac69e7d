package provider

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// TestAccImport_timeoutsOnlyUpdate: what the import sections of the Registry
// pages say. Terraform does not import a timeouts block, so importing a
// Promise, a request, a git state store and a Destination into a configuration that has one plans one
// in-place update each that sets timeouts and changes no other value (what
// Kratix reports is read again, so shows as unknown); applying it changes
// neither object's spec (generation) and runs no workflow.
func TestAccImport_timeoutsOnlyUpdate(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	timeoutsBlock := "  timeouts {\n    create = \"5m\"\n  }"
	p.Extra = timeoutsBlock
	name := p.Name
	createTestSecret(t, "default", name+"-creds", testGitCredentials())
	config := harness.Current().ProviderConfig() + p.HCL() + namedRequestHCL("imported", 1, timeoutsBlock) + fmt.Sprintf(`
resource "kratix_git_state_store" "test" {
  name       = %[1]q
  url        = %[2]q
  secret_ref = { name = "%[1]s-creds" }
%[3]s
}
`, name, testGitURL(name), timeoutsBlock) + destinationHCL(name, "kratix_git_state_store.test.name", "  path = \"dev\"\n"+timeoutsBlock)
	ids := map[string]string{promiseAddr: name, requestAddr: name + "/default/imported", gitStoreAddr: name, destinationAddr: name}
	var forget, imports string
	for addr, id := range ids {
		forget += fmt.Sprintf("removed {\n  from = %s\n  lifecycle { destroy = false }\n}\n", addr)
		imports += fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", addr, id)
	}
	var before objectsSnapshot

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_7_0), // removed blocks
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{Config: config},
			{Config: harness.Current().ProviderConfig() + forget},
			{
				PreConfig: func() { before = snapshotObjects(t, p, "imported") },
				Config:    config + imports,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(promiseAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(gitStoreAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(destinationAddr, plancheck.ResourceActionUpdate),
						onlyTimeoutsChange{gitStoreAddr, []string{"ready", "status", "conditions"}},
						onlyTimeoutsChange{destinationAddr, []string{"ready", "conditions"}},
						onlyTimeoutsChange{promiseAddr, []string{"status", "message", "conditions", "api_version", "kind", "required_by", "placements"}},
						onlyTimeoutsChange{requestAddr, []string{"status", "message", "conditions", "workflows", "observed_generation", "placements", "promise_version"}},
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					after := snapshotObjects(t, p, "imported")
					t.Logf("objects before and after the timeouts-only update: %+v, %+v", before, after)
					if after != before {
						return fmt.Errorf("applying the timeouts-only update changed the objects: before %+v, after %+v", before, after)
					}
					return nil
				},
			},
		},
	})
}

// onlyTimeoutsChange fails unless the planned change of addr sets timeouts
// and changes no other value: only the attributes Kratix reports (reported)
// may be unknown until the apply reads them again.
type onlyTimeoutsChange struct {
	addr     string
	reported []string
}

func (c onlyTimeoutsChange) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.addr {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		unknown, _ := rc.Change.AfterUnknown.(map[string]any)
		var changed []string
		for key := range merged(before, after, unknown) {
			u, _ := unknown[key].(bool)
			if u && slices.Contains(c.reported, key) {
				continue
			}
			if key != "timeouts" && (u || !reflect.DeepEqual(before[key], after[key])) {
				changed = append(changed, fmt.Sprintf("%s (unknown %v)", key, u))
			}
		}
		if len(changed) > 0 {
			resp.Error = fmt.Errorf("%s: the plan after import changes %v, want only timeouts", c.addr, changed)
			return
		}
		if reflect.DeepEqual(before["timeouts"], after["timeouts"]) {
			resp.Error = fmt.Errorf("%s: the plan after import does not set timeouts", c.addr)
		}
		return
	}
	resp.Error = fmt.Errorf("%s is not in the plan", c.addr)
}

func merged(maps ...map[string]any) map[string]bool {
	keys := map[string]bool{}
	for _, m := range maps {
		for k := range m {
			keys[k] = true
		}
	}
	return keys
}

// objectsSnapshot is what a spec change or a workflow run would move.
type objectsSnapshot struct {
	promiseGeneration, requestGeneration   int64
	storeGeneration, destinationGeneration int64
	jobs                                   int
}

func snapshotObjects(t *testing.T, p testPromise, request string) objectsSnapshot {
	t.Helper()
	ctx := context.Background()
	client := harness.Current().Dynamic(t)
	promise, err := client.Resource(promisesGVR).Get(ctx, p.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := client.Resource(p.gvr()).Namespace("default").Get(ctx, request, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := client.Resource(schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}).List(ctx,
		metav1.ListOptions{LabelSelector: "kratix.io/promise-name=" + p.Name})
	if err != nil {
		t.Fatal(err)
	}
	generation := func(gvk schema.GroupVersionKind) int64 {
		obj, err := client.Resource(gvk.GroupVersion().WithResource(strings.ToLower(gvk.Kind)+"s")).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return obj.GetGeneration()
	}
	return objectsSnapshot{
		promiseGeneration: promise.GetGeneration(), requestGeneration: req.GetGeneration(), jobs: len(jobs.Items),
		storeGeneration: generation(kratix.GitStateStoreGVK), destinationGeneration: generation(kratix.DestinationGVK),
	}
}
