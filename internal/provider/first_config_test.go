package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// Tests of what a platform team meets in its first week: files as
// repositories keep them, imported into a fresh state, and namespaces and
// Promises that come and go around the configuration.

// manifestPromiseHCL is a kratix_promise from a promise.yaml as generated
// CRDs and `kratix init` write it: no promise workflows, an API whose
// metadata carries `creationTimestamp: null`, and empty dependencies.
func manifestPromiseHCL(p testPromise) string {
	return fmt.Sprintf(`
resource "kratix_promise" "test" {
  manifest = <<-EOT
    apiVersion: platform.kratix.io/v1alpha1
    kind: Promise
    metadata:
      name: %[1]s
      labels:
        kratix.io/promise-version: v1.0.0
    spec:
      dependencies: []
      api:
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          creationTimestamp: null
          name: %[2]ss.test.kratix.io
        spec:
          group: test.kratix.io
          scope: Namespaced
          names: {kind: %[2]s, plural: %[2]ss, singular: %[2]s}
          versions:
          - name: v1alpha1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      size: {type: string}
      workflows:
        resource:
          configure:
          - apiVersion: platform.kratix.io/v1alpha1
            kind: Pipeline
            metadata: {name: configure}
            spec:
              containers:
              - {name: main, image: "ghcr.io/example/pipeline:v1"}
  EOT
}
`, p.Name, p.Kind)
}

func importBlockHCL(to, id string) string {
	return fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", to, id)
}

func promiseGeneration(t *testing.T, name string) int64 {
	t.Helper()
	obj, err := harness.Current().Dynamic(t).Resource(promisesGVR).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading Promise %s: %v", name, err)
	}
	return obj.GetGeneration()
}

// TestAccPromise_importThenApply: a Promise created from a promise.yaml
// without promise workflows, imported into a fresh state with an import
// block and the same manifest, applies without "inconsistent result" and
// without writing the Promise (a write raises the generation of an API with
// `creationTimestamp: null`, which makes Kratix reconcile every request);
// the plan after it is empty, and dependencies: [] is no perpetual diff.
func TestAccPromise_importThenApply(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	config := harness.Current().ProviderConfig() + manifestPromiseHCL(p)

	first := newTerraformCLI(t, config)
	first.run("apply", "-auto-approve", "-input=false")
	t.Cleanup(func() { first.try("destroy", "-auto-approve", "-input=false") })
	if out, err := first.try("plan", "-detailed-exitcode", "-input=false"); err != nil {
		t.Fatalf("the plan after the apply is not empty: %v\n%s", err, out)
	}
	generation := promiseGeneration(t, p.Name)

	second := newTerraformCLI(t, config+importBlockHCL("kratix_promise.test", p.Name))
	second.run("apply", "-auto-approve", "-input=false")
	if out, err := second.try("plan", "-detailed-exitcode", "-input=false"); err != nil {
		t.Fatalf("the plan after the import is not empty: %v\n%s", err, out)
	}
	if got := promiseGeneration(t, p.Name); got != generation {
		t.Errorf("the apply after the import changed the Promise: generation %d, was %d", got, generation)
	}

	// The first real change after the import is written, and adoption
	// ends with it.
	second.write(strings.Replace(config, "version: v1.0.0", "version: v1.0.1", 1))
	second.run("apply", "-auto-approve", "-input=false")
	if out, err := second.try("plan", "-detailed-exitcode", "-input=false"); err != nil {
		t.Fatalf("the plan after the update is not empty: %v\n%s", err, out)
	}
	second.run("destroy", "-auto-approve", "-input=false")
	if _, err := harness.Current().Dynamic(t).Resource(promisesGVR).Get(context.Background(), p.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Promise %s still exists after destroy (err=%v)", p.Name, err)
	}
}

// TestAccPromise_emptyCollectionsRoundTrip: empty lists and objects in the
// dynamic arguments, set directly rather than through a manifest, plan
// nothing after the apply and after a refresh.
func TestAccPromise_emptyCollectionsRoundTrip(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	config := harness.Current().ProviderConfig() + withReplacements(t, p.HCL(),
		`version = "v1.0.0"`, `version = "v1.0.0"
  dependencies = []`,
		`workflows = {
`, `workflows = {
    promise = {}
`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// TestAccResourceRequest_templateWithBlankKind: a request as `kratix init`
// writes it (`kind:` left blank) works when promise is set; a manifest that
// names another kind plans with a warning that says so.
func TestAccResourceRequest_templateWithBlankKind(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	request := func(kind string) string {
		return fmt.Sprintf(`
resource "kratix_resource_request" "test" {
  promise  = kratix_promise.test.name
  wait_for = "none"
  manifest = <<-EOT
    apiVersion: test.kratix.io/v1alpha1
    kind: %s
    metadata:
      name: from-template
    spec:
      replicas: 1
  EOT
}
`, kind)
	}
	base := harness.Current().ProviderConfig() + p.HCL()
	cli := appliedCLI(t, base+request("# kind"))

	cli.write(base + strings.Replace(request("Database"), "from-template", "other-kind", 1))
	out := cli.run("plan", "-input=false")
	if !wrappedInOrder(`Warning: The manifest names another kind`, `kind "Database", but its Promise's API is kind `+p.Kind).MatchString(out) {
		t.Errorf("the plan does not warn about the manifest's kind:\n%s", out)
	}
}

// TestAccResourceRequest_namespaceCreatedInTheSameApply: the plan of a
// request whose namespace does not exist yet warns instead of failing (a
// dependency may create it first), and names the request correctly; the
// apply then succeeds once the namespace exists, and fails with what to do
// when it still does not.
func TestAccResourceRequest_namespaceCreatedInTheSameApply(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	namespace := "tfacc-ns-" + strings.TrimPrefix(p.Name, "tfacc-")
	base := harness.Current().ProviderConfig() + p.HCL()
	cli := appliedCLI(t, base)
	request := func(namespace string) string {
		return base + requestHCL(`{ replicas = 1 }`, fmt.Sprintf("  namespace = %q\n  wait_for = \"none\"\n", namespace))
	}
	cli.write(request(namespace))
	out := cli.run("plan", "-input=false", "-out=tfplan")
	if !regexp.MustCompile(`(?s)Warning: Resource request not checked at plan time.*Namespace\s+"` + namespace + `"\s+does\s+not\s+exist\s+yet`).MatchString(out) {
		t.Errorf("the plan does not warn about the namespace:\n%s", out)
	}
	if strings.Contains(out, "Error:") {
		t.Fatalf("the plan failed:\n%s", out)
	}
	// What a dependency in the same apply does: create the namespace
	// between the plan and the request's create.
	createNamespace(t, namespace)
	cli.run("apply", "-auto-approve", "-input=false", "tfplan")
	if _, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace(namespace).Get(context.Background(), "example", metav1.GetOptions{}); err != nil {
		t.Errorf("the request was not created in %s: %v", namespace, err)
	}

	// A namespace nothing creates fails the apply, saying what to do.
	missing := namespace + "-missing"
	cli.write(request(missing))
	failed, err := cli.try("apply", "-auto-approve", "-input=false")
	if err == nil || !regexp.MustCompile(`(?s)Namespace not found.*Namespace\s+"`+missing+`"\s+does\s+not\s+exist.*refer\s+to\s+it`).MatchString(failed) {
		t.Fatalf("apply without the namespace: want the missing namespace named, got err=%v\n%s", err, failed)
	}
}

// TestAccResourceRequest_destroyAfterPromiseDeletedOutOfBand: once the
// Promise is gone (it took its requests and API with it), `terraform
// destroy -refresh=false` finishes at once instead of waiting out the
// delete timeout.
func TestAccResourceRequest_destroyAfterPromiseDeletedOutOfBand(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.Extra = "  force_destroy = true\n"
	cli := newTerraformCLI(t, harness.Current().ProviderConfig()+p.HCL()+requestHCL(`{ replicas = 1 }`, "  timeouts {\n    delete = \"3m\"\n  }\n"))
	cli.run("apply", "-auto-approve", "-input=false")

	promises := harness.Current().Dynamic(t).Resource(promisesGVR)
	if err := promises.Delete(context.Background(), p.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting Promise %s: %v", p.Name, err)
	}
	err := wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := promises.Get(ctx, p.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("Promise %s was not deleted: %v", p.Name, err)
	}
	out, err := cli.try("destroy", "-auto-approve", "-input=false", "-refresh=false")
	if err != nil {
		t.Fatalf("destroy -refresh=false after the Promise was deleted: %v\n%s", err, out)
	}
}

// TestAccDestroy_notBlockedByPlanChecksOfNewObjects: a request whose spec
// the API server refuses, added next to an installed Promise, plans with a
// warning and fails at apply; the destroy that follows, whose refresh plans
// the same create again, is not blocked by it. A plan file named "destroy"
// is an ordinary plan.
func TestAccDestroy_notBlockedByPlanChecksOfNewObjects(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	base := harness.Current().ProviderConfig() + p.HCL()
	cli := newTerraformCLI(t, base)
	cli.run("apply", "-auto-approve", "-input=false")

	cli.write(base + requestHCL(`{ replicas = 0 }`, ""))
	out := cli.run("plan", "-input=false", "-out=destroy")
	if !regexp.MustCompile(`(?s)Warning: Invalid resource request \(the apply will refuse it\).*spec\.replicas`).MatchString(out) {
		t.Errorf("the plan of a refused new request does not warn:\n%s", out)
	}
	if out, err := cli.try("apply", "-input=false", "destroy"); err == nil || !regexp.MustCompile(`(?s)Error:.*spec\.replicas`).MatchString(out) {
		t.Fatalf("apply: want the API server to refuse spec.replicas, got err=%v\n%s", err, out)
	}
	if out, err := cli.try("destroy", "-auto-approve", "-input=false"); err != nil {
		t.Fatalf("destroy was blocked: %v\n%s", err, out)
	}
	if _, err := harness.Current().Dynamic(t).Resource(promisesGVR).Get(context.Background(), p.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Promise %s still exists after destroy (err=%v)", p.Name, err)
	}
}

// TestAccRefresh_ridesOutKratixKindsNotServedYet: right after an API server
// restarts, discovery leaves out Kratix's own API group for some seconds. A
// refresh of a Promise and its request waits for it within timeouts.read
// instead of failing with "kind Promise is not served".
func TestAccRefresh_ridesOutKratixKindsNotServedYet(t *testing.T) {
	testAccPreCheck(t)
	proxy := harness.Current().StartFaultProxy(t)
	p := newTestPromise()
	config := proxy.ProviderConfig() + p.HCL() + requestHCL(`{ replicas = 1 }`, "  wait_for = \"none\"\n")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					proxy.HideGroup(kratixGroup, true)
					time.AfterFunc(3*time.Second, func() { proxy.HideGroup(kratixGroup, false) })
				},
				Config:   config,
				PlanOnly: true,
			},
		},
	})
}

const kratixGroup = "platform.kratix.io"

// TestAccPromise_webhookDownFailsWithinItsBound: while the API server
// cannot reach Kratix's admission webhooks (Kratix's controller manager is
// not running), a Promise's apply fails once the bound on webhook retries is
// over, reporting the webhook's own error and what to check, instead of a
// bare "context deadline exceeded" at the end of the create timeout.
func TestAccPromise_webhookDownFailsWithinItsBound(t *testing.T) {
	testAccPreCheck(t)
	defer func(bound time.Duration) { kube.WebhookUnreachableBound = bound }(kube.WebhookUnreachableBound)
	kube.WebhookUnreachableBound = 5 * time.Second
	proxy := harness.Current().StartFaultProxy(t)
	proxy.RefuseWebhooks(kratixGroup, true)
	p := newTestPromise()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{{
			Config: proxy.ProviderConfig() + p.HCL(),
			ExpectError: wrappedInOrder("an admission webhook does not answer", `failed calling webhook "mpromise.kb.io"`,
				"connection refused", "could not call the admission webhook named above for 5s", "kubectl -n kratix-platform-system get pods"),
		}},
	})
}

// TestAccResourceRequest_notPickedUpByKratix: a request Kratix has not
// touched when the pickup bound is over fails its apply, naming Kratix's
// controller and how to check it, only when Kratix's controller is confirmed
// down (its webhooks do not answer); while the controller answers, the apply
// waits on (a failed create would be replaced by the next apply). The request
// is of an API no Promise offers, so that Kratix never touches it.
func TestAccResourceRequest_notPickedUpByKratix(t *testing.T) {
	testAccPreCheck(t)
	defer func(bound time.Duration) { kratixPickupBound = bound }(kratixPickupBound)
	kratixPickupBound = 5 * time.Second
	kind := "tfnopromise" + strings.ToLower(acctest.RandStringFromCharSet(6, acctest.CharSetAlpha))
	createPlainCRD(t, kind)
	proxy := harness.Current().StartFaultProxy(t)
	p := newTestPromise()
	base := proxy.ProviderConfig() + p.HCL()
	cli := appliedCLI(t, base)
	t.Cleanup(func() { proxy.RefuseWebhooks(kratixGroup, false) }) // before the destroy
	request := func(name, timeout string) string {
		return fmt.Sprintf(`
resource "kratix_resource_request" %[1]q {
  api_version = "test.kratix.io/v1alpha1"
  kind        = %[2]q
  name        = %[1]q
  spec        = {}
  timeouts {
    create = %[3]q
  }
}
`, name, kind, timeout)
	}

	// Kratix runs: past the bound the apply waits on, to its timeout.
	cli.write(base + request("slow", "20s"))
	out, err := cli.try("apply", "-auto-approve", "-input=false")
	if err == nil || !strings.Contains(out, "Timed out waiting for") || strings.Contains(out, "did not pick up") {
		t.Fatalf("with Kratix running, want the create timeout, not a pickup failure; err=%v\n%s", err, out)
	}

	// Kratix's controller is down: the apply fails at the bound.
	proxy.RefuseWebhooks(kratixGroup, true)
	cli.write(base + request("slow", "20s") + request("orphan", "10m"))
	out, err = cli.try("apply", "-auto-approve", "-input=false", "-target=kratix_resource_request.orphan")
	if err == nil || !wrappedInOrder("Kratix did not pick up resource request", "in 5s Kratix did not touch it",
		"do not answer", "connection refused", "kubectl -n kratix-platform-system get pods").MatchString(out) {
		t.Fatalf("with Kratix's controller down, want the pickup failure; err=%v\n%s", err, out)
	}
}

// createPlainCRD installs a namespaced CRD that no Promise offers, and
// deletes it after the test.
func createPlainCRD(t *testing.T, kind string) {
	t.Helper()
	crds := harness.Current().Dynamic(t).Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": kind + "s.test.kratix.io"},
		"spec": map[string]any{
			"group": "test.kratix.io", "scope": "Namespaced",
			"names": map[string]any{"kind": kind, "plural": kind + "s", "singular": kind},
			"versions": []any{map[string]any{"name": "v1alpha1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}},
		},
	}}
	if _, err := crds.Create(context.Background(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating CRD for %s: %v", kind, err)
	}
	t.Cleanup(func() { _ = crds.Delete(context.Background(), crd.GetName(), metav1.DeleteOptions{}) })
}

// TestAccResourceRequest_deliveredWithoutConfigurePipeline: Kratix sets no
// condition on a request whose Promise has no resource configure pipeline,
// WorksSucceeded included; wait_for = "delivered" returns once the request
// is configured instead of waiting out its timeout.
func TestAccResourceRequest_deliveredWithoutConfigurePipeline(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.ConfigureEnv = nil
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{{
			Config: harness.Current().ProviderConfig() + p.HCL() +
				requestHCL(`{ replicas = 1 }`, "  wait_for = \"delivered\"\n  timeouts {\n    create = \"3m\"\n  }\n"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		}},
	})
}

// TestAccResourceRequest_clockOffDecidesNothing: the provider's clock runs
// ten minutes behind the API server's, as a laptop's may. A request whose
// last run failed (its Promise's pipeline broke) is updated after the
// pipeline is fixed: the failure on it is the previous run's, and the
// apply waits for the new run instead of reporting that failure again. The
// update is dated by the API server's record of the write, not by the
// provider's clock; dated by the provider's clock, the old failure looked
// ten minutes newer than the update.
func TestAccResourceRequest_clockOffDecidesNothing(t *testing.T) {
	testAccPreCheck(t)
	behind := map[string]func() (tfprotov6.ProviderServer, error){
		"kratix": testServer(&kratixProvider{version: "test", now: func() time.Time { return time.Now().Add(-10 * time.Minute) }}),
	}
	p := newTestPromise()
	broken := p
	broken.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "the pipeline's image was deleted"}
	base := harness.Current().ProviderConfig()
	request := func(size string) string {
		return fmt.Sprintf(`
resource "kratix_resource_request" "test" {
  promise = kratix_promise.test.name
  name    = "drift"
  spec    = { replicas = 1, size = %q }
}
`, size)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: behind,
		CheckDestroy:             checkRequestGone(t, p, "default", "drift"),
		Steps: []resource.TestStep{
			{Config: base + p.HCL() + request("small")},
			{
				// Kratix re-runs the request's workflow with the broken
				// pipeline; the apply does not wait for it.
				Config: base + broken.HCL() + request("small"),
				Check:  func(*terraform.State) error { return waitRequestFailed(t, p, "drift") },
			},
			{
				Config: base + p.HCL() + request("large"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction("kratix_resource_request.test", plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.TestCheckResourceAttr("kratix_resource_request.test", "message", "Resource requested"),
			},
		},
	})
}

// waitRequestFailed waits until the request's configure workflow reports a
// failure.
func waitRequestFailed(t *testing.T, p testPromise, name string) error {
	t.Helper()
	client := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default")
	return wait.PollUntilContextTimeout(context.Background(), 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		obj, err := client.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		c, ok := kratix.FindCondition(obj, kratix.CondConfigureWorkflowCompleted)
		return ok && c.IsFalse() && c.Reason == kratix.ReasonConfigureWorkflowFailed, nil
	})
}
