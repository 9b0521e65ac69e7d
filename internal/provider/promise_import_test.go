package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccPromise_importPlansNothing: importing a Promise that has a version
// but no labels, and whose API carries explicit nulls (what `kubectl create
// --dry-run -o yaml` and an empty `properties:` in YAML give), with an
// import block leaves nothing to change. Nor do the empty workflows objects
// Kratix's mutating webhook adds (the configuration has only resource
// workflows); the emulator has no webhook, so the test adds them as the
// webhook would.
func TestAccPromise_importPlansNothing(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	config := harness.Current().ProviderConfig() + withReplacements(t, p.HCL(),
		`metadata   = { name = "`+p.Kind+`s.test.kratix.io" }`,
		`metadata   = { name = "`+p.Kind+`s.test.kratix.io", creationTimestamp = null }`,
		`properties = {
              spec = {`,
		`properties = {
              status = { type = "object", properties = null }
              spec = {`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_5_0), // import blocks
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				PreConfig:       func() { addWebhookEmpties(t, p.Name) },
				Config:          config,
				ResourceName:    promiseAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
		},
	})
}

// TestAccPromise_importKeepsEmptyWorkflows: an empty workflows object the
// configuration sets on purpose comes back from an import, so the import
// plans nothing, though Kratix's webhook adds the same empty objects.
func TestAccPromise_importKeepsEmptyWorkflows(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	config := harness.Current().ProviderConfig() + withReplacements(t, p.HCL(),
		`workflows = {
`, `workflows = {
    promise = {}
`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_5_0), // import blocks
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				PreConfig:       func() { addWebhookEmpties(t, p.Name) },
				Config:          config,
				ResourceName:    promiseAddr,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
		},
	})
}

// addWebhookEmpties writes the empty spec.workflows objects the served
// Kratix's mutating webhook adds to a Promise lacking them, as another
// field manager: the webhook's additions are owned by none of the
// Promise's field managers, and the emulator has no webhook.
func addWebhookEmpties(t *testing.T, name string) {
	t.Helper()
	patchPromise(t, name, `{"spec":{"workflows":{"config":{},"promise":{},"resource":{}}}}`)
}

// TestAccPromise_workflowConfigDrift: removing pipelineNamespace and
// reconciliationInterval out of band, as `kubectl edit` would, shows as a
// change and the next apply puts them back.
func TestAccPromise_workflowConfigDrift(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipInRealModeWithoutKratix2026(t, harness.RealNoReconciliationInterval)
	p := newTestPromise()
	config := harness.Current().ProviderConfig() + withReplacements(t, p.HCL(),
		`version = "v1.0.0"`, `version = "v1.0.0"
  pipeline_namespace      = "default"
  reconciliation_interval = "1h"`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				PreConfig: func() {
					patchPromise(t, p.Name, `{"spec":{"workflows":{"config":{"pipelineNamespace":null,"reconciliationInterval":null}}}}`)
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(promiseAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(promiseAddr, tfjsonpath.New("generation")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("pipeline_namespace"), knownvalue.StringExact("default")),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("reconciliation_interval"), knownvalue.StringExact("1h")),
				},
			},
		},
	})
}

// withReplacements applies from/to pairs to a configuration, failing the
// test when one does not match (a test that edits nothing proves nothing).
func withReplacements(t *testing.T, config string, fromTo ...string) string {
	t.Helper()
	for i := 0; i+1 < len(fromTo); i += 2 {
		if !strings.Contains(config, fromTo[i]) {
			t.Fatalf("test setup: %q not found in the configuration", fromTo[i])
		}
		config = strings.Replace(config, fromTo[i], fromTo[i+1], 1)
	}
	return config
}
