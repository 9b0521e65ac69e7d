package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// versionedRequestHCL is a request pinned to a Promise version.
func versionedRequestHCL(version string) string {
	return requestHCL(`{ size = "small", replicas = 1 }`, fmt.Sprintf("  promise_version = %q\n", version))
}

// TestAccResourceRequest_promiseVersion: a request starts at the version
// it is pinned to, stays there when the Promise moves on, moves when
// promise_version changes (waiting for Kratix to apply it), imports with
// the version it runs, refuses a version the Promise does not have at plan,
// and a failed move fails the apply naming the version and the pipeline's
// message, with the change still planned.
func TestAccResourceRequest_promiseVersion(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipWithEmulator(t, harness.EmulatorNoVersionUpgrades)
	harness.SkipInRealModeWithoutKratix2026(t, "Kratix before 2026 has no versioned Promises (PromiseRevisions, ResourceBindings)")
	p := newTestPromise()
	withVersion := func(version, ver string, env map[string]string) string {
		q := p
		q.Version = version
		q.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_STATUS": statusJSON(map[string]any{"ver": ver})}
		for k, v := range env {
			q.ConfigureEnv[k] = v
		}
		return harness.Current().ProviderConfig() + q.HCL()
	}
	v1, v2 := withVersion("v1.0.0", "one", nil), withVersion("v2.0.0", "two", nil)
	v3 := withVersion("v3.0.0", "three", map[string]string{"KRATIX_EMULATOR_FAIL": "v3 cannot migrate the data"})
	runs := func(version, ver string) []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("promise_version"), knownvalue.StringExact(version)),
			statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("status").AtMapKey("ver"), knownvalue.StringExact(ver)),
		}
	}
	empty := resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "example"),
		Steps: []resource.TestStep{
			{Config: v1 + versionedRequestHCL("v1.0.0"), ConfigStateChecks: runs("v1.0.0", "one"), ConfigPlanChecks: empty},
			{
				// The Promise moves on; the pinned request stays.
				Config: v2 + versionedRequestHCL("v1.0.0"), ConfigStateChecks: runs("v1.0.0", "one"), ConfigPlanChecks: empty,
			},
			{
				Config: v2 + versionedRequestHCL("v2.0.0"), ConfigStateChecks: runs("v2.0.0", "two"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				ResourceName: requestAddr, ImportState: true, ImportStateVerify: true,
				ImportStateVerifyIgnore: append([]string{"timeouts"}, realRequestImportIgnore()...),
			},
			{
				Config:      v2 + versionedRequestHCL("v9.9.9"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)No such Promise version.*no revision at version "v9\.9\.9".*"v1\.0\.0", "v2\.0\.0"`),
			},
			{
				// A version must exist before a request moves to it.
				Config: v3 + versionedRequestHCL("v2.0.0"), ConfigStateChecks: runs("v2.0.0", "two"), ConfigPlanChecks: empty,
			},
			{
				Config:      v3 + versionedRequestHCL("v3.0.0"),
				ExpectError: regexp.MustCompile(`(?s)Upgrade of .*example.* to Promise version v3\.0\.0\s+failed.*v3 cannot migrate the data.*still runs version "v2\.0\.0"`),
			},
			{
				// The failed move is still planned.
				Config: v3 + versionedRequestHCL("v3.0.0"), PlanOnly: true, ExpectNonEmptyPlan: true,
			},
			{
				// Back to a version that works.
				Config: v3 + versionedRequestHCL("v2.0.0"), ConfigStateChecks: runs("v2.0.0", "two"), ConfigPlanChecks: empty,
			},
		},
	})
}

// TestAccResourceRequest_promiseVersionRefusedWithoutVersionedKratix: with
// a Kratix that has no PromiseRevisions (2025-09), setting promise_version
// is refused at plan, naming the Kratix it needs.
func TestAccResourceRequest_promiseVersionRefusedWithoutVersionedKratix(t *testing.T) {
	testAccPreCheck(t)
	if harness.Current().Kratix() != harness.KratixServed {
		t.Skip("skipped: this Kratix serves PromiseRevisions (the emulator, Kratix 2026); the pass against the Kratix the module proxy serves runs this test")
	}
	p := newTestPromise()
	cli := appliedCLI(t, harness.Current().ProviderConfig()+p.HCL())
	cli.write(harness.Current().ProviderConfig() + p.HCL() + versionedRequestHCL("v1.0.0"))
	out, err := cli.try("plan", "-input=false")
	if err == nil {
		t.Fatalf("the plan of a pinned request against Kratix without versioned Promises succeeded:\n%s", out)
	}
	expectOutput(t, "plan", out, `Promise versions not available`, `promise_version needs a Kratix release of 2026 or later`)

	cli.write(harness.Current().ProviderConfig() + p.HCL() + revisionsDataHCL)
	out, err = cli.try("plan", "-input=false")
	if err == nil {
		t.Fatalf("reading the revisions of a Promise from Kratix without versioned Promises succeeded:\n%s", out)
	}
	expectOutput(t, "plan", out, `Promise versions not available`, `kratix_promise_revisions data source needs a Kratix release of 2026`)
	cli.write(harness.Current().ProviderConfig() + p.HCL()) // so that the cleanup's destroy reads no revisions
}

const revisionsDataHCL = `
data "kratix_promise_revisions" "test" {
  promise    = kratix_promise.test.name
  depends_on = [kratix_promise.test]
}
`

// TestAccPromiseRevisionsDataSource: every version a Promise has had,
// oldest first, and the latest.
func TestAccPromiseRevisionsDataSource(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipInRealModeWithoutKratix2026(t, "Kratix before 2026 has no PromiseRevisions")
	p := newTestPromise()
	at := func(version string) string {
		q := p
		q.Version = version
		return harness.Current().ProviderConfig() + q.HCL() + revisionsDataHCL
	}
	const addr = "data.kratix_promise_revisions.test"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config: at("v1.0.0"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("latest"), knownvalue.StringExact("v1.0.0")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("versions"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("v1.0.0")})),
				},
			},
			{
				Config: at("v2.0.0"),
				// revisions[0].latest may still read true for a moment:
				// Kratix marks the new revision latest first.
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("latest"), knownvalue.StringExact("v2.0.0")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("versions"), knownvalue.ListExact([]knownvalue.Check{
						knownvalue.StringExact("v1.0.0"), knownvalue.StringExact("v2.0.0")})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revisions").AtSliceIndex(1).AtMapKey("latest"), knownvalue.Bool(true)),
				},
			},
		},
	})
}
