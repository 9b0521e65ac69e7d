package provider

import (
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// TestDecodeManifestsFunction runs provider::kratix::decode_manifests in
// Terraform: a corpus promise.yaml and a multi-document file give maps that
// for expressions and attribute access use; a document without a kind
// fails naming it.
func TestDecodeManifestsFunction(t *testing.T) {
	promiseFile, err := filepath.Abs("../testdata/kratix-marketplace/redis/promise.yaml")
	if err != nil {
		t.Fatal(err)
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		Steps: []resource.TestStep{
			{
				Config: `
locals {
  redis = provider::kratix::decode_manifests(file("` + promiseFile + `"))
  mixed = provider::kratix::decode_manifests(<<-YAML
    apiVersion: platform.kratix.io/v1alpha1
    kind: Destination
    metadata: {name: worker-1, labels: {env: dev}}
    spec: {stateStoreRef: {name: default, kind: GitStateStore}}
    ---
    apiVersion: marketplace.kratix.io/v1alpha1
    kind: redis
    metadata: {name: example, namespace: team-a}
    spec: {size: small, replicas: 3}
    YAML
  )
}

output "promise_names" { value = keys(local.redis.promises) }
output "promise_kind"  { value = local.redis.promises["redis"].spec.api.spec.names.kind }
output "request_size"  { value = local.mixed.others["redis/team-a/example"].spec.size }
output "replicas"      { value = local.mixed.others["redis/team-a/example"].spec.replicas }
output "stores"        { value = length(local.mixed.git_state_stores) }
output "env"           { value = { for name, d in local.mixed.destinations : name => d.metadata.labels.env } }
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("promise_names", knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("redis")})),
					statecheck.ExpectKnownOutputValue("promise_kind", knownvalue.StringExact("redis")),
					statecheck.ExpectKnownOutputValue("request_size", knownvalue.StringExact("small")),
					statecheck.ExpectKnownOutputValue("replicas", knownvalue.Int64Exact(3)),
					statecheck.ExpectKnownOutputValue("stores", knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownOutputValue("env", knownvalue.ObjectExact(map[string]knownvalue.Check{"worker-1": knownvalue.StringExact("dev")})),
				},
			},
			{
				Config:      `output "x" { value = provider::kratix::decode_manifests("apiVersion: v1\nmetadata: {name: a}\n") }`,
				ExpectError: regexp.MustCompile(`Cannot\s+decode\s+the\s+manifests:\s+document\s+1:\s+it\s+has\s+no\s+kind`),
			},
		},
	})
}
