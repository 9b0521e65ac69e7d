package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// TestAccResourceRequest_promiseAPINotPublishedYet: the real Kratix
// publishes a Promise's status.kind and status.apiVersion a moment after it
// installs the Promise's CRD, so a request can exist before its Promise says
// what API it serves. The test holds a Promise there (paused, with those
// fields removed). Importing a request then plans, reading it under the API
// the Promise's spec.api names; creating another one waits for the Promise
// to publish its API, and says so when the create timeout ends first.
func TestAccResourceRequest_promiseAPINotPublishedYet(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	base := harness.Current().ProviderConfig() + p.HCL()
	imported := base + unlabelledRequestHCL("example", "") + fmt.Sprintf(`
import {
  to = kratix_resource_request.example
  id = "%s/default/example"
}
`, p.Name)
	withSecond := func(timeouts string) string {
		return base + unlabelledRequestHCL("example", "") + unlabelledRequestHCL("second", timeouts)
	}

	var release func()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_5_0), // import blocks
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{Config: base},
			{
				PreConfig: func() {
					createRequestDirectly(t, p, "example")
					release = withholdPromiseAPI(t, p.Name)
				},
				Config: imported,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("kratix_resource_request.example", plancheck.ResourceActionNoop)},
				},
			},
			{
				Config:      withSecond("  timeouts {\n    create = \"3s\"\n  }"),
				ExpectError: regexp.MustCompile(`(?s)promise\s+"` + p.Name + `"\s+has\s+not\s+published\s+the\s+API.*paused`),
			},
			{
				PreConfig: func() {
					time.AfterFunc(2*time.Second, release) // while the apply waits for it
				},
				Config:           withSecond(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// unlabelledRequestHCL is a request of the test Promise named name, with
// the spec createRequestDirectly gives it.
func unlabelledRequestHCL(name, extra string) string {
	return fmt.Sprintf(`
resource "kratix_resource_request" %[1]q {
  promise = kratix_promise.test.name
  name    = %[1]q
  spec    = { replicas = 1, size = "small" }
%[2]s
}
`, name, extra)
}

// createRequestDirectly creates a request of the Promise through the API,
// as kubectl would.
func createRequestDirectly(t *testing.T, p testPromise, name string) {
	t.Helper()
	request := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "test.kratix.io/v1alpha1", "kind": p.Kind,
		"metadata": map[string]any{"name": name, "namespace": "default"},
		"spec":     map[string]any{"replicas": int64(1), "size": "small"},
	}}
	_, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default").Create(context.Background(), request, metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"})
	if err != nil {
		t.Fatalf("creating request %s: %v", name, err)
	}
}

// withholdPromiseAPI puts a Promise back where Kratix has installed its
// CRD but not yet published status.kind and status.apiVersion: it pauses
// the Promise (label kratix.io/paused=true), waits for the controller to
// take the pause, and removes those fields (and the emulator's copies in
// status.kratix). It returns the func that unpauses the Promise, which runs
// at the latest after two minutes: a paused Promise and its requests are
// never deleted, so a failed step would otherwise hold the destroy.
func withholdPromiseAPI(t *testing.T, name string) (release func()) {
	t.Helper()
	patchPromise(t, name, fmt.Sprintf(`{"metadata":{"labels":{%q:"true"}}}`, kratix.LabelPaused))
	client := harness.Current().Dynamic(t).Resource(promisesGVR)
	ctx := context.Background()
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := client.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // keep polling until the timeout
		}
		c, ok := kratix.FindCondition(p, kratix.CondAvailable)
		return ok && c.Reason == "PausedReconciliation", nil
	})
	if err != nil {
		t.Fatalf("Promise %s did not report PausedReconciliation: %v", name, err)
	}
	strip := []byte(`{"status":{"kind":null,"apiVersion":null}}`)
	if !harness.Current().Real() { // the emulator's copies; the served Kratix has no status.kratix
		strip = []byte(`{"status":{"kind":null,"apiVersion":null,"kratix":{"kind":null,"apiVersion":null}}}`)
	}
	if _, err := client.Patch(ctx, name, types.MergePatchType, strip, metav1.PatchOptions{}, "status"); err != nil {
		t.Fatalf("removing the published API of Promise %s: %v", name, err)
	}
	p, err := client.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := kratix.SummarisePromise(p); s.Kind != "" || s.APIVersion != "" {
		t.Fatalf("test setup: Promise %s still publishes %s %s", name, s.APIVersion, s.Kind)
	}
	var once sync.Once
	unpause := []byte(fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, kratix.LabelPaused))
	release = func() {
		once.Do(func() {
			// It may run outside the test's goroutine, even after the test.
			if _, err := client.Patch(context.Background(), name, types.MergePatchType, unpause, metav1.PatchOptions{}); err != nil {
				fmt.Fprintf(os.Stderr, "unpausing Promise %s: %v\n", name, err)
			}
		})
	}
	watchdog := time.AfterFunc(2*time.Minute, release)
	t.Cleanup(func() { watchdog.Stop() })
	return release
}
