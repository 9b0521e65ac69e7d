package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

const promiseAddr = "kratix_promise.test"

// TestAccPromise_lifecycle: create waits for Available and the promise
// configure pipeline, import is identical, labels update in place, drift in
// a user-set label shows, and destroy removes the Promise and its API.
func TestAccPromise_lifecycle(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.PromiseConfigureEnv = map[string]string{"KRATIX_EMULATOR_STATUS": statusJSON(map[string]any{"message": "Promise ready for teams"})}
	withLabels := func(labels string) string {
		return strings.Replace(p.HCL(), `version = "v1.0.0"`, `version = "v1.0.0"`+"\n  labels = "+labels, 1)
	}
	base := harness.Current().ProviderConfig()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config: base + withLabels(`{ team = "data" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("status"), knownvalue.StringExact("Available")),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("kind"), knownvalue.StringExact(p.Kind)),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("api_version"), knownvalue.StringExact("test.kratix.io/v1alpha1")),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("message"), expectPromiseMessage("Promise ready for teams")),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName:            promiseAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: append([]string{"timeouts"}, realImportIgnore("conditions")...),
			},
			{
				Config: base + withLabels(`{ team = "platform" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(promiseAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// A label Kratix or someone else adds is not drift; a change
				// to a label the configuration sets is, and taking the label
				// back from the other manager needs force_conflicts.
				PreConfig: func() {
					patchPromise(t, p.Name, `{"metadata":{"labels":{"team":"hijacked","added-by-someone":"x"}}}`)
				},
				Config: strings.Replace(base+withLabels(`{ team = "platform" }`), "  workflows = {", "  force_conflicts = true\n  workflows = {", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(promiseAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccPromise_failedConfigurePipeline fails the apply naming the
// promise configure pipeline and carrying its message. The Promise stays in
// state, tainted: once the pipeline is fixed, the next apply replaces it and
// waits for the new pipeline run.
func TestAccPromise_failedConfigurePipeline(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.PromiseConfigureEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "helm install failed: chart not found"}
	fixed := p
	fixed.PromiseConfigureEnv = map[string]string{"KRATIX_EMULATOR_STATUS": statusJSON(map[string]any{"message": "chart installed"})}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config:      harness.Current().ProviderConfig() + p.HCL(),
				ExpectError: regexp.MustCompile(`(?s)Promise configure workflow failed.*"promise-configure".*chart\s+not\s+found`),
			},
			{
				Config: harness.Current().ProviderConfig() + fixed.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(promiseAddr, plancheck.ResourceActionReplace)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("status"), knownvalue.StringExact("Available")),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("message"), expectPromiseMessage("chart installed")),
				},
			},
		},
	})
}

// TestAccPromise_apiIdentityChangeReplaces: Kratix makes the API's group
// and kind immutable, so changing them plans a replacement instead of
// failing in the webhook at apply time.
func TestAccPromise_apiIdentityChangeReplaces(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	renamed := p
	renamed.Kind = p.Kind + "x"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{Config: harness.Current().ProviderConfig() + p.HCL()},
			{
				Config: harness.Current().ProviderConfig() + renamed.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(promiseAddr, plancheck.ResourceActionReplace)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("kind"), knownvalue.StringExact(renamed.Kind)),
				},
			},
		},
	})
}

// TestAccPromise_planTimeValidation: what Kratix's webhook would refuse is
// a plan-time diagnostic on the attribute.
func TestAccPromise_planTimeValidation(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	cases := []struct {
		name, from, to, want string
	}{
		{"wrong pipeline kind", `kind       = "Pipeline"`, `kind       = "Job"`, `The pipeline "configure" (resource.configure[0]) has kind "Job"; a Pipeline must have kind "Pipeline".`},
		{"cluster-scoped API", `scope = "Namespaced"`, `scope = "Cluster"`, `Kratix requires a Promise's API to be Namespaced`},
		{"pipeline identity too long", `metadata   = { name = "configure" }`, fmt.Sprintf(`metadata   = { name = %q }`, strings.Repeat("a", 50)), `Kratix limits <promise>-<type>-<action>-<pipeline> to 60`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			config := strings.Replace(p.HCL(), tc.from, tc.to, 1)
			if config == p.HCL() {
				t.Fatalf("test setup: %q not found in the test Promise", tc.from)
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      harness.Current().ProviderConfig() + config,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(strings.ReplaceAll(regexp.QuoteMeta(tc.want), " ", `\s+`)),
				}},
			})
		})
	}
}

func patchPromise(t *testing.T, name, patch string) {
	t.Helper()
	_, err := harness.Current().Dynamic(t).Resource(promisesGVR).Patch(context.Background(), name,
		types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "someone-else"})
	if err != nil {
		t.Fatalf("patching promise %s: %v", name, err)
	}
}
