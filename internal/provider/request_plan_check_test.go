package provider

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// misspeltRequestHCL is a request naming a Promise that does not exist.
func misspeltRequestHCL(promise string) string {
	return `
resource "kratix_resource_request" "typo" {
  promise = "` + promise + `"
  name    = "typo"
  spec    = { replicas = 1 }
}
`
}

// TestAccResourceRequest_misspeltPromise: a request naming a Promise that
// does not exist gets a plan warning that names the closest Promise, and
// its apply fails after the short grace period, with the same hint, instead
// of waiting out the create timeout.
func TestAccResourceRequest_misspeltPromise(t *testing.T) {
	testAccPreCheck(t)
	defer func(grace time.Duration) { promiseGrace = grace }(promiseGrace)
	promiseGrace = 3 * time.Second // the provider runs in this process
	p := newTestPromise()
	base := harness.Current().ProviderConfig() + p.HCL()
	cli := appliedCLI(t, base)
	typo := misspell(p.Name)
	cli.write(base + misspeltRequestHCL(typo))

	plan := cli.run("plan", "-input=false")
	expectOutput(t, "plan", plan, `Warning: Resource request not checked at plan time`, `No Promise named "`+typo+`" exists on the cluster yet`, `Did you mean "`+p.Name+`"\?`)

	started := time.Now()
	out, err := cli.try("apply", "-auto-approve", "-input=false")
	if err == nil {
		t.Fatalf("the apply of a request of a missing Promise succeeded:\n%s", out)
	}
	expectOutput(t, "apply", out, `no Promise named "`+typo+`" exists`, `Did you mean "`+p.Name+`"\?`)
	t.Logf("the apply failed after %s", time.Since(started).Round(time.Second))
	cli.write(base)
}

// misspell changes the last letter of name, never to the letter it had
// (the random names end in any letter, "x" included).
func misspell(name string) string {
	last := "x"
	if strings.HasSuffix(name, last) {
		last = "y"
	}
	return name[:len(name)-1] + last
}

// TestAccResourceRequest_planWarnsWhenUnchecked: a request whose spec is
// known only after apply is not checked at plan, and the plan says so.
func TestAccResourceRequest_planWarnsWhenUnchecked(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	base := harness.Current().ProviderConfig() + p.HCL()
	cli := appliedCLI(t, base)
	cli.write(base + `
resource "terraform_data" "later" {
  input = 2
}
` + strings.Replace(requestHCL(`{ replicas = terraform_data.later.output }`, ""), "example", "later", 1))
	plan := cli.run("plan", "-input=false")
	expectOutput(t, "plan", plan, `Warning: Resource request not checked at plan time`, `The spec of resource request .*later is\s+known only after apply`)
	cli.write(base)
}

// TestAccResourceRequest_planWarnsWhenPromiseInSameApply: a request of a
// Promise created in the same apply cannot be checked at plan; the plan says
// so, and the apply checks and creates both.
func TestAccResourceRequest_planWarnsWhenPromiseInSameApply(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	cli := newTerraformCLI(t, harness.Current().ProviderConfig()+p.HCL()+requestHCL(`{ replicas = 1 }`, ""))
	plan := cli.run("plan", "-input=false")
	expectOutput(t, "plan", plan, `Warning: Resource request not checked at plan time`,
		`No Promise named "`+p.Name+`" exists on the cluster yet, so resource request .*example is checked at apply`,
		`If this apply creates the Promise, nothing is wrong`)
}

// expectOutput fails the test unless Terraform's output matches every
// pattern (whitespace in the output may wrap).
func expectOutput(t *testing.T, what, out string, patterns ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(out), " ")
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(flat) {
			t.Errorf("the %s output does not match %q:\n%s", what, p, out)
		}
	}
}

// TestAccMetadata_planTimeValidation: label keys and values, annotation
// keys and a Promise's version (a label value) fail the plan with the
// attribute and the rule, before anything reaches the cluster.
func TestAccMetadata_planTimeValidation(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct{ name, config, want string }{
		{"label key", `
resource "kratix_resource_request" "bad" {
  promise = "redis"
  name    = "bad"
  labels  = { "team/data/x" = "a" }
  spec    = {}
}`, `(?s)Invalid key.*The key "team/data/x" is not valid`},
		{"label value", `
resource "kratix_destination" "bad" {
  name             = "bad"
  state_store      = { kind = "GitStateStore", name = "s" }
  path             = "a"
  labels           = { env = "not a label value" }
}`, `(?s)Invalid label value.*The value "not a label value" of label "env" is not valid`},
		{"annotation key", `
resource "kratix_promise" "bad" {
  name        = "bad"
  annotations = { "-starts-with-dash" = "x" }
}`, `(?s)Invalid key.*The key "-starts-with-dash" is not valid`},
		{"promise version", `
resource "kratix_promise" "bad" {
  name    = "bad"
  version = "1.0 beta"
}`, `(?s)Invalid value.*The value "1.0 beta" must be a valid label value`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      harness.Current().ProviderConfig() + tc.config,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(tc.want),
				}},
			})
		})
	}
}

// TestAccResourceRequest_planWithoutCluster: when the cluster cannot be
// reached at plan, the plan says once that the requests are checked at
// apply, instead of failing or repeating it for every request.
func TestAccResourceRequest_planWithoutCluster(t *testing.T) {
	testAccPreCheck(t)
	config := harness.RequiredProviders + `
provider "kratix" {
  host  = "https://127.0.0.1:1"
  token = "unused"
}
` + misspeltRequestHCL("redis") + strings.Replace(misspeltRequestHCL("redis"), `"typo"`, `"other"`, 2)
	cli := newTerraformCLI(t, config)
	plan := cli.run("plan", "-input=false")
	if n := strings.Count(plan, "Warning: Resource requests not checked at plan time"); n != 1 {
		t.Errorf("the plan warned %d times that requests are not checked, want once:\n%s", n, plan)
	}
	expectOutput(t, "plan", plan, `could not read Promise "redis"`, `Plan: 2 to add`)
}
