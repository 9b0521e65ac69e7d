package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

func ownedRequestHCL(replicas int) string { return namedRequestHCL("taken", replicas, "") }

// requestReplicas reads spec.replicas of a request through the API.
func requestReplicas(t *testing.T, p testPromise, name string) int64 {
	t.Helper()
	obj, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading request %s: %v", name, err)
	}
	replicas, _, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas")
	return replicas
}

// TestAccResourceRequest_createRefusesExisting: a request that another team
// (or another configuration) made is never taken over by a create: the
// apply fails, names the import, and leaves the object as it was. Importing
// it is the way in, and its first update then owns the configured fields.
func TestAccResourceRequest_createRefusesExisting(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	base := harness.Current().ProviderConfig() + p.HCL()
	id := p.Name + "/default/taken"

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "taken"),
		Steps: []resource.TestStep{
			{Config: base},
			{
				PreConfig:   func() { applyRequestSpec(t, p, "default", "taken", map[string]any{"replicas": int64(3)}, "kubectl") },
				Config:      base + ownedRequestHCL(1),
				ExpectError: regexp.MustCompile(`(?s)already exists.*does not take over.*terraform import ADDRESS ` + regexp.QuoteMeta(id)),
			},
			{
				PreConfig: func() {
					if got := requestReplicas(t, p, "taken"); got != 3 {
						t.Fatalf("the refused create changed the request: replicas %d, want 3", got)
					}
				},
				Config: base + ownedRequestHCL(1) + fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", requestAddr, id),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("spec").AtMapKey("replicas"), knownvalue.Int64Exact(1)),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// TestAccDestination_createRefusesExisting: the same rule for a Destination.
func TestAccDestination_createRefusesExisting(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	base := harness.Current().ProviderConfig() + testStoreHCL(t, name)
	createDestination(t, name, name, "theirs")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      base + destinationHCL(name, "kratix_git_state_store.store.name", `  path = "ours"`),
			ExpectError: regexp.MustCompile(`(?s)Destination ` + name + ` already exists.*import \{`),
		}},
	})
	obj, err := harness.Current().Dynamic(t).Resource(destinationsGVR).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if path, _, _ := unstructured.NestedString(obj.Object, "spec", "path"); path != "theirs" {
		t.Errorf("the refused create changed the Destination: path %q, want %q", path, "theirs")
	}
}

// TestAccPromise_fieldConflict: a field another manager set is not taken
// over silently; force_conflicts takes it.
func TestAccPromise_fieldConflict(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.Extra = `  labels = { team = "data" }`
	forced := p
	forced.Extra = p.Extra + "\n  force_conflicts = true"
	base := harness.Current().ProviderConfig()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{Config: base + p.HCL()},
			{
				PreConfig: func() {
					_, err := harness.Current().Dynamic(t).Resource(promisesGVR).Patch(context.Background(), p.Name, types.MergePatchType,
						[]byte(`{"metadata":{"labels":{"team":"web"}}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config:      base + p.HCL(),
				ExpectError: regexp.MustCompile(`(?s)kubectl-edit.*force_conflicts`),
			},
			{
				Config: base + forced.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("labels").AtMapKey("team"), knownvalue.StringExact("data")),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// TestAccPromise_forceDestroy: deleting a Promise deletes every request of
// it, so a Promise with a request someone else made is not destroyed until
// force_destroy is applied.
func TestAccPromise_forceDestroy(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	forced := p
	forced.Extra = "  force_destroy = true"
	base := harness.Current().ProviderConfig()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "other-team"),
		Steps: []resource.TestStep{
			{Config: base + p.HCL()},
			{
				PreConfig: func() {
					applyRequestSpec(t, p, "default", "other-team", map[string]any{"replicas": int64(1)}, "kubectl")
				},
				Config:      base + p.HCL(),
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)still has 1 resource request.*default/other-team.*force_destroy = true`),
			},
			{
				PreConfig: func() {
					if got := requestReplicas(t, p, "other-team"); got != 1 {
						t.Fatalf("the other team's request changed: replicas %d", got)
					}
				},
				Config:            base + forced.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("force_destroy"), knownvalue.Bool(true))},
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(promiseAddr, plancheck.ResourceActionUpdate)}},
			},
		},
	})
}

// TestAccPromise_replacementWarns: a plan that replaces a Promise says what
// that does to its requests (terraform-plugin-testing does not show
// warnings, so the Terraform CLI runs the plan).
func TestAccPromise_replacementWarns(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	cli := appliedCLI(t, harness.Current().ProviderConfig()+p.HCL())
	renamed := p
	renamed.Name = p.Name + "-v2"
	cli.write(harness.Current().ProviderConfig() + renamed.HCL())
	out := cli.run("plan", "-input=false")
	for _, want := range []string{"Warning: Promise will be replaced", "force_destroy is false", "must be replaced"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("the plan does not say %q:\n%s", want, out)
		}
	}
}
