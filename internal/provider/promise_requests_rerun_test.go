package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// TestAccPromise_waitForRequests: with wait_for_requests, an update of the
// Promise's workflows returns only once every request of it, including one
// created outside Terraform, has run the new workflow (the new pipeline
// runs for seconds and writes a new message, so an apply that returned at
// once would find the old one); a re-run that fails fails the apply, naming
// each request and the pipeline's message; and wait = false is refused.
func TestAccPromise_waitForRequests(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.Extra = "wait_for_requests = true\n  force_destroy = true"
	p.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_STATUS": statusJSON(map[string]any{"message": "built by v1"})}
	v2 := p
	v2.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_STATUS": statusJSON(map[string]any{"message": "built by v2"}), "KRATIX_EMULATOR_DURATION": "4s"}
	v3 := p
	v3.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "v3 cannot size this"}
	noWait := p
	noWait.Extra = "wait_for_requests = true\n  wait = false"
	request := `
resource "kratix_resource_request" "test" {
  promise = kratix_promise.test.name
  name    = "managed"
  spec    = { replicas = 1, size = "small" }
}
`
	base := harness.Current().ProviderConfig()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config:      base + noWait.HCL(),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`wait_for_requests needs wait = true`),
			},
			{
				Config: base + p.HCL() + request,
			},
			{
				PreConfig: func() { createRequestDirectly(t, p, "unmanaged") },
				Config:    base + v2.HCL() + request,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(promiseAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				// Right after the apply, before any refresh.
				Check: func(*terraform.State) error { return checkRequestsMessage(t, p, "built by v2", "managed", "unmanaged") },
			},
			{
				Config:      base + v3.HCL() + request,
				ExpectError: regexp.MustCompile(`(?s)2 resource request\(s\) of Promise\s+` + p.Name + `\s+failed after its update.*default/managed:.*v3 cannot size this.*default/unmanaged:`),
			},
		},
	})
}

// checkRequestsMessage reads the requests from the API and wants each to
// have finished its configure workflow with this status message.
func checkRequestsMessage(t *testing.T, p testPromise, want string, names ...string) error {
	t.Helper()
	client := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default")
	var wrong []string
	for _, name := range names {
		obj, err := client.Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		message, _, _ := unstructured.NestedString(obj.Object, "status", "message")
		c, _ := kratix.FindCondition(obj, kratix.CondConfigureWorkflowCompleted)
		if message != want || !c.IsTrue() {
			wrong = append(wrong, fmt.Sprintf("%s: message %q, ConfigureWorkflowCompleted=%s", name, message, c.Status))
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("requests had not re-run when the apply returned: %s", strings.Join(wrong, "; "))
	}
	return nil
}
