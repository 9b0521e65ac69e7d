package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestMatchingDestinationsFunction runs provider::kratix::matching_destinations
// in Terraform with each accepted shape: the kratix_destinations data
// source's objects with the resource's selectors, and decoded documents with
// a decoded Promise's selectors (squashed, first entry winning); null
// selectors, typed or not, and empty ones are no selectors.
func TestMatchingDestinationsFunction(t *testing.T) {
	names := func(want ...string) knownvalue.Check {
		checks := make([]knownvalue.Check, 0, len(want))
		for _, n := range want {
			checks = append(checks, knownvalue.StringExact(n))
		}
		return knownvalue.ListExact(checks)
	}
	// OpenTofu does not call a provider function whose dynamic parameter
	// gets an untyped null literal: the result stays unknown, and every
	// plan shows it (the last step). A typed null (typed_null) reaches the
	// function, through nullArgumentsServer.
	noSelectors := `provider::kratix::matching_destinations(null, local.decoded)`
	if harness.OnOpenTofu() {
		noSelectors = `provider::kratix::matching_destinations([], local.decoded)`
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		Steps: []resource.TestStep{
			{
				Config: `
locals {
  listed = [
    { name = "dev-1", labels = { env = "dev", zone = "a" }, strict_match_labels = false },
    { name = "dev-strict", labels = { env = "dev" }, strict_match_labels = true },
    { name = "prod", labels = { env = "prod" }, strict_match_labels = false },
  ]
  decoded = provider::kratix::decode_manifests(<<-YAML
    apiVersion: platform.kratix.io/v1alpha1
    kind: Destination
    metadata: {name: dev-1, labels: {env: dev, zone: a}}
    ---
    apiVersion: platform.kratix.io/v1alpha1
    kind: Destination
    metadata: {name: dev-strict, labels: {env: dev}}
    spec: {strictMatchLabels: true}
    YAML
  ).destinations
}

output "by_resource_selectors" {
  value = provider::kratix::matching_destinations([{ match_labels = { env = "dev" } }], local.listed)
}
output "squashed_first_wins" {
  value = provider::kratix::matching_destinations([{ matchLabels = { env = "dev" } }, { matchLabels = { env = "prod", zone = "a" } }], local.decoded)
}
output "no_selectors" {
  value = ` + noSelectors + `
}
output "typed_null" {
  value = provider::kratix::matching_destinations(tolist(null), local.decoded)
}
output "empty" {
  value = provider::kratix::matching_destinations([], local.decoded)
}
output "nothing" {
  value = provider::kratix::matching_destinations({ env = "staging" }, local.listed)
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("by_resource_selectors", names("dev-1", "dev-strict")),
					statecheck.ExpectKnownOutputValue("squashed_first_wins", names("dev-1")),
					statecheck.ExpectKnownOutputValue("no_selectors", names("dev-1")),
					statecheck.ExpectKnownOutputValue("nothing", names()),
					statecheck.ExpectKnownOutputValue("typed_null", names("dev-1")),
					statecheck.ExpectKnownOutputValue("empty", names("dev-1")),
				},
			},
			{
				Config:      `output "x" { value = provider::kratix::matching_destinations([{ labels = {} }], []) }`,
				ExpectError: regexp.MustCompile(`selectors\[0\]\s+has\s+neither\s+match_labels\s+nor\s+matchLabels`),
			},
			{
				Config:      `output "x" { value = provider::kratix::matching_destinations({}, [{ labels = { a = "b" } }]) }`,
				ExpectError: regexp.MustCompile(`destinations\[0\]:\s+it\s+has\s+neither\s+name\s+nor\s+metadata.name`),
			},
			untypedNullStep(),
		},
	})
}

// untypedNullStep: a literal null as the selectors is no selectors on
// Terraform; on OpenTofu the result is unknown, which the function's docs
// say.
func untypedNullStep() resource.TestStep {
	config := `output "x" { value = provider::kratix::matching_destinations(null, [{ name = "a", labels = {} }]) }`
	if harness.OnOpenTofu() {
		return resource.TestStep{
			Config: config, PlanOnly: true, ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectUnknownOutputValue("x")}},
		}
	}
	return resource.TestStep{
		Config:            config,
		ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownOutputValue("x", knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("a")}))},
	}
}
