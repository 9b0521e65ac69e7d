package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

const requestAddr = "kratix_resource_request.test"

func requestHCL(spec string, extra string) string {
	return fmt.Sprintf(`
resource "kratix_resource_request" "test" {
  promise = kratix_promise.test.name
  name    = "example"
  labels  = { team = "data" }
  spec    = %s
%s
}

output "pipeline_url" {
  value = try(kratix_resource_request.test.status.url, null)
}
`, spec, extra)
}

func (p testPromise) gvr() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "test.kratix.io", Version: "v1alpha1", Resource: p.Kind + "s"}
}

// TestAccResourceRequest_lifecycle: Promise and request in one apply, a
// pipeline output read back, import, an update that must wait for the new
// generation, out-of-band drift and deletion, and destroy checked in the API.
func TestAccResourceRequest_lifecycle(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	// A slow pipeline keeps the previous generation's
	// ConfigureWorkflowCompleted=True visible for a while after an update.
	p.ConfigureEnv = map[string]string{
		"KRATIX_EMULATOR_STATUS":   statusJSON(map[string]any{"url": "https://example.internal/db"}),
		"KRATIX_EMULATOR_DURATION": "2s",
	}
	base := harness.Current().ProviderConfig() + p.HCL()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "example"),
		Steps: []resource.TestStep{
			{
				Config: base + requestHCL(`{ size = "small", replicas = 1 }`, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("message"), knownvalue.StringExact("Resource requested")),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("observed_generation"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("workflows"), expectWorkflows(map[string]knownvalue.Check{"configure": knownvalue.StringExact("Succeeded")})),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("conditions").AtMapKey("ConfigureWorkflowCompleted"), knownvalue.StringExact("True")),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("status").AtMapKey("url"), knownvalue.StringExact("https://example.internal/db")),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("status").AtMapKey("observedGeneration"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("id"), knownvalue.StringExact(p.Name+"/default/example")),
					statecheck.ExpectKnownOutputValue("pipeline_url", knownvalue.StringExact("https://example.internal/db")),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName:            requestAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: append([]string{"timeouts"}, realRequestImportIgnore()...),
			},
			{
				// The old ConfigureWorkflowCompleted=True must not satisfy
				// this update: state must show the new generation observed.
				Config: base + requestHCL(`{ size = "large", replicas = 2 }`, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("observed_generation"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("spec").AtMapKey("size"), knownvalue.StringExact("large")),
				},
			},
			{
				// Someone edits a field the configuration sets: the plan
				// shows it and the apply puts it back.
				PreConfig: func() { patchRequestSpec(t, p, "default", "example", `{"spec":{"size":"small"}}`, "kubectl-edit") },
				Config:    base + requestHCL(`{ size = "large", replicas = 2 }`, "  force_conflicts = true\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Deleted out of band: planned for creation again.
				PreConfig: func() { deleteRequestAndWait(t, p, "default", "example") },
				Config:    base + requestHCL(`{ size = "large", replicas = 2 }`, "  force_conflicts = true\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccResourceRequest_failedPipeline: the apply fails with the
// pipeline's name and message, the request stays in state (tainted), and
// the next apply after the fix replaces it.
func TestAccResourceRequest_failedPipeline(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "terraform plan in pipeline: bucket name taken"}
	fixed := p
	fixed.ConfigureEnv = map[string]string{}
	spec := `{ size = "small", replicas = 1 }`

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkRequestGone(t, p, "default", "example"),
		Steps: []resource.TestStep{
			{
				Config:      harness.Current().ProviderConfig() + p.HCL() + requestHCL(spec, ""),
				ExpectError: regexp.MustCompile(`(?s)Configure workflow failed.*"configure".*bucket\s+name\s+taken`),
			},
			{
				Config: harness.Current().ProviderConfig() + fixed.HCL() + requestHCL(spec, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionReplace)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("message"), knownvalue.StringExact("Resource requested")),
				},
			},
		},
	})
}

// TestAccResourceRequest_timeout: a pipeline slower than the create timeout
// fails the apply with what it was waiting for; the request stays in state.
func TestAccResourceRequest_timeout(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_DURATION": "10m"}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: harness.Current().ProviderConfig() + p.HCL() + requestHCL(`{ replicas = 1 }`, "  timeouts {\n    create = \"3s\"\n  }\n"),
				ExpectError: errorByMode(`(?s)Timed out waiting for.*example.*pipeline "configure" is running.*What the wait saw:.*\+[0-9]+s pipeline "configure" is running`,
					`(?s)Timed out waiting for.*example.*ConfigureWorkflowCompleted=False.*What the wait saw:.*\+[0-9]+s `),
			},
			{
				// The timed-out request is tracked (tainted), not orphaned.
				Config:           harness.Current().ProviderConfig() + p.HCL() + requestHCL(`{ replicas = 1 }`, "  wait_for = \"none\"\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionReplace)}},
			},
		},
	})
}

// TestAccResourceRequest_stuckDelete: a failing delete pipeline blocks the
// destroy with a diagnostic that says how to retry; fixing the Promise lets
// Kratix finish.
func TestAccResourceRequest_stuckDelete(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.DeleteEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "cannot drop database: connections open"}
	base := harness.Current().ProviderConfig() + p.HCL()
	fixed := p
	fixed.DeleteEnv = map[string]string{}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: base + requestHCL(`{ replicas = 1 }`, "")},
			{
				Config:      base,
				ExpectError: regexp.MustCompile(`(?s)Delete workflow failed.*connections\s+open.*kratix.io/manual-reconciliation=true`),
			},
			{
				// Destroying again re-runs the delete pipeline (the provider
				// labels the request) and reports the new run's failure: the
				// old DeleteWorkflowCompleted=False alone must neither end the
				// wait at once nor leave it hanging.
				// (Job creation times have one-second precision.)
				PreConfig:   func() { time.Sleep(1500 * time.Millisecond) },
				Config:      base,
				ExpectError: regexp.MustCompile(`(?s)Delete workflow failed.*Pipeline "cleanup".*connections\s+open`),
			},
			{
				// The fix, made out of band as an operator would: the
				// Promise's delete pipeline no longer fails, Kratix re-runs
				// it, and the destroy Terraform retries now succeeds.
				PreConfig: func() {
					assertDeleteRuns(t, p, 2) // the retry really re-ran the pipeline
					fixDeletePipeline(t, p)
				},
				Config: harness.Current().ProviderConfig() + fixed.HCL(),
				Check:  waitRequestGone(t, p, "default", "example"),
			},
		},
	})
}

// TestAccResourceRequest_fieldManagerConflict: a field another manager owns
// is a clear error naming that manager, until force_conflicts is set.
func TestAccResourceRequest_fieldManagerConflict(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	base := harness.Current().ProviderConfig() + p.HCL()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: base + requestHCL(`{ size = "small", replicas = 1 }`, "")},
			{
				PreConfig: func() {
					applyRequestSpec(t, p, "default", "example", map[string]any{"size": "large"}, "platform-team-kubectl")
				},
				Config:      base + requestHCL(`{ size = "small", replicas = 3 }`, ""),
				ExpectError: regexp.MustCompile(`(?s)\.spec\.size.*platform-team-kubectl.*force_conflicts`),
			},
			{
				Config: base + requestHCL(`{ size = "small", replicas = 3 }`, "  force_conflicts = true\n"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("spec").AtMapKey("size"), knownvalue.StringExact("small")),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

func patchRequestSpec(t *testing.T, p testPromise, ns, name, patch, manager string) {
	t.Helper()
	_, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace(ns).Patch(context.Background(), name,
		types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: manager})
	if err != nil {
		t.Fatalf("patching %s/%s: %v", ns, name, err)
	}
}

func applyRequestSpec(t *testing.T, p testPromise, ns, name string, spec map[string]any, manager string) {
	t.Helper()
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "test.kratix.io/v1alpha1", "kind": p.Kind,
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     spec,
	}}
	force := true
	_, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace(ns).Apply(context.Background(), name, obj,
		metav1.ApplyOptions{FieldManager: manager, Force: force})
	if err != nil {
		t.Fatalf("applying %s/%s as %s: %v", ns, name, manager, err)
	}
}

func deleteRequestAndWait(t *testing.T, p testPromise, ns, name string) {
	t.Helper()
	client := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace(ns)
	if err := client.Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting %s/%s: %v", ns, name, err)
	}
	if err := pollGone(func(ctx context.Context) error { _, err := client.Get(ctx, name, metav1.GetOptions{}); return err }); err != nil {
		t.Fatalf("%s/%s was not deleted: %v", ns, name, err)
	}
}

func pollGone(get func(context.Context) error) error {
	return wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		err := get(ctx)
		return apierrors.IsNotFound(err), nil
	})
}

func waitRequestGone(t *testing.T, p testPromise, ns, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		client := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace(ns)
		return pollGone(func(ctx context.Context) error { _, err := client.Get(ctx, name, metav1.GetOptions{}); return err })
	}
}

// checkRequestGone asserts through the API that destroy removed the request.
func checkRequestGone(t *testing.T, p testPromise, ns, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		crd := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
		_, err := harness.Current().Dynamic(t).Resource(crd).Get(context.Background(), p.Kind+"s.test.kratix.io", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("the Promise's CRD still exists after destroy (err=%v)", err)
		}
		return nil
	}
}

// assertDeleteRuns checks how many delete-pipeline Jobs ran for the
// test's request.
func assertDeleteRuns(t *testing.T, p testPromise, want int) {
	t.Helper()
	jobs := schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	list, err := harness.Current().Dynamic(t).Resource(jobs).List(context.Background(), metav1.ListOptions{
		LabelSelector: "kratix.io/workflow-action=delete,kratix.io/promise-name=" + p.Name,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != want {
		t.Fatalf("%d delete pipeline runs, want %d", len(list.Items), want)
	}
}

func fixDeletePipeline(t *testing.T, p testPromise) {
	t.Helper()
	patch := `{"spec":{"workflows":{"resource":{"delete":[{"apiVersion":"platform.kratix.io/v1alpha1","kind":"Pipeline",` +
		`"metadata":{"name":"cleanup"},"spec":{"containers":[{"name":"main","image":"ghcr.io/example/pipeline:v1","env":[]}]}}]}}}}`
	_, err := harness.Current().Dynamic(t).Resource(promisesGVR).Patch(context.Background(), p.Name,
		types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "operator"})
	if err != nil {
		t.Fatalf("fixing the delete pipeline of %s: %v", p.Name, err)
	}
}

// TestAccResourceRequest_invalidSpecAtPlan: with the Promise installed, the
// API server checks a planned change of a request (a dry-run), so every rule
// of the Promise's API fails the plan on the attribute at fault, and what the
// server would accept (a required field with a default) passes. A request
// that does not exist yet is refused with a warning at plan and an error at
// apply (TestAccDestroy_notBlockedByPlanChecksOfNewObjects).
func TestAccResourceRequest_invalidSpecAtPlan(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	base := harness.Current().ProviderConfig() + p.HCL()
	planFails := func(spec, pattern string) resource.TestStep {
		return resource.TestStep{Config: base + requestHCL(spec, "  wait_for = \"none\"\n"), PlanOnly: true, ExpectError: regexp.MustCompile(pattern)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			// size is required but has a default: the server fills it in.
			{Config: base + requestHCL(`{ replicas = 1 }`, "  wait_for = \"none\"\n")},
			planFails(`{ size = "huge", replicas = 1 }`, `(?s)Invalid resource request.*spec\.size:\s+Unsupported\s+value:\s+"huge"`),
			planFails(`{ size = "small" }`, `(?s)spec\.replicas:\s+Required\s+value`),
			planFails(`{ replicas = 9 }`, `(?s)more\s+than\s+5\s+replicas\s+need\s+size\s+large`),
			planFails(`{ replicas = 1, tier = 0 }`, `(?s)spec\.tier:.*greater\s+than\s+0`),
			planFails(`{ replicas = 1, region = "Europe" }`, `(?s)spec\.region:.*should\s+match`),
			planFails(`{ replicas = 1, contact = "not-an-address" }`, `(?s)spec\.contact:.*must\s+be\s+of\s+type\s+email`),
			planFails(`{ replicas = 1, sise = "typo" }`, `(?s)spec\.sise:\s+field\s+not\s+declared\s+in\s+the\s+Promise's\s+API`),
			{
				// The escape hatch for an apply that also changes the API.
				Config:             base + requestHCL(`{ size = "small", replicas = 1, sise = "typo" }`, "  validate_spec = false\n  wait_for = \"none\"\n"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}
