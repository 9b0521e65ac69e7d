package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	jobsGVR       = schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	configMapsGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

// jobSet holds the names of Jobs. Tests compare sets, not counts: Kratix
// deletes a workflow's oldest Jobs once it has more than it keeps.
type jobSet map[string]bool

// newSince counts the Jobs of js that before did not have.
func (js jobSet) newSince(before jobSet) int {
	n := 0
	for name := range js {
		if !before[name] {
			n++
		}
	}
	return n
}

// configureJobs lists the configure Jobs with these labels, in all
// namespaces: one per pipeline run.
func configureJobs(t *testing.T, selector map[string]string) jobSet {
	t.Helper()
	all := map[string]string{kratix.LabelWorkflowAction: "configure"}
	for k, v := range selector {
		all[k] = v
	}
	list, err := harness.Current().Dynamic(t).Resource(jobsGVR).List(context.Background(),
		metav1.ListOptions{LabelSelector: labels.SelectorFromSet(all).String()})
	if err != nil {
		t.Fatalf("listing Jobs: %v", err)
	}
	js := jobSet{}
	for _, j := range list.Items {
		js[j.GetNamespace()+"/"+j.GetName()] = true
	}
	return js
}

func requestJobs(t *testing.T, p testPromise, name string) jobSet {
	t.Helper()
	return configureJobs(t, map[string]string{kratix.LabelPromiseName: p.Name, kratix.LabelResourceName: name})
}

// setPipelineInput creates or replaces the ConfigMap in namespace default
// that a test Promise's ConfigureEnvFrom reads, and deletes it when the
// test ends; value "" deletes it now.
func setPipelineInput(t *testing.T, name, value string) {
	t.Helper()
	client := harness.Current().Dynamic(t).Resource(configMapsGVR).Namespace("default")
	ctx := context.Background()
	err := client.Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("deleting ConfigMap %s: %v", name, err)
	}
	if value == "" {
		return
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name}, "data": map[string]any{"value": value},
	}}
	if _, err := client.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ConfigMap %s: %v", name, err)
	}
	t.Cleanup(func() { _ = client.Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

func requestLabels(t *testing.T, p testPromise, name string) map[string]string {
	t.Helper()
	obj, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("reading request %s: %v", name, err)
	}
	return obj.GetLabels()
}

// actionRequestHCL is a request of the test Promise plus actions on it.
func actionRequestHCL(name, labelsHCL string) string {
	return fmt.Sprintf(`
resource "kratix_resource_request" "%[1]s" {
  promise = kratix_promise.test.name
  name    = %[1]q
  labels  = %[2]s
  spec    = { replicas = 1 }
}
`, name, labelsHCL)
}

// TestAccActionReconcile_requestAndPromise: kratix_reconcile re-runs the
// workflow of a request and of a Promise (a new Job each, the label gone),
// streaming its progress; a pipeline that fails fails the action with its
// name and message, also when the previous run had failed already.
func TestAccActionReconcile_requestAndPromise(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.Actions)
	p := newTestPromise()
	p.PromiseConfigureEnv = map[string]string{}
	failInput := p.Name + "-fail"
	p.ConfigureEnvFrom = map[string]string{"KRATIX_EMULATOR_FAIL": failInput}
	cli := appliedCLI(t, harness.Current().ProviderConfig()+p.HCL()+actionRequestHCL("example", "{}")+`
action "kratix_reconcile" "request" {
  config {
    request = { promise = kratix_promise.test.name, name = "example" }
    timeout = "2m"
  }
}

action "kratix_reconcile" "promise" {
  config {
    promise = kratix_promise.test.name
  }
}
`)
	before := requestJobs(t, p, "example")
	out := cli.run("apply", "-auto-approve", "-input=false", "-invoke=action.kratix_reconcile.request")
	expectOutput(t, "invoke", out, p.Kind+` default/example: asked Kratix to re-run the configure workflow`,
		p.Kind+` default/example: configure workflow completed`)
	if got := requestJobs(t, p, "example").newSince(before); got != 1 {
		t.Errorf("the action started %d configure Jobs of the request, want 1: the workflow did not re-run once", got)
	}
	if l := requestLabels(t, p, "example"); l[kratix.LabelManualReconciliation] != "" {
		t.Errorf("the request still has the label %s after the action: %v", kratix.LabelManualReconciliation, l)
	}

	promiseSelector := map[string]string{kratix.LabelPromiseName: p.Name, kratix.LabelWorkflowType: "promise"}
	before = configureJobs(t, promiseSelector)
	out = cli.run("apply", "-auto-approve", "-input=false", "-invoke=action.kratix_reconcile.promise")
	expectOutput(t, "invoke", out, `Promise `+p.Name+`: asked Kratix to re-run`, `Promise `+p.Name+`: configure workflow completed`)
	if got := configureJobs(t, promiseSelector).newSince(before); got != 1 {
		t.Errorf("the action started %d promise configure Jobs of the Promise, want 1", got)
	}

	setPipelineInput(t, failInput, "the database is unreachable")
	for _, run := range []string{"first failure", "failure after a failure"} {
		out, err := cli.try("apply", "-auto-approve", "-input=false", "-invoke=action.kratix_reconcile.request")
		if err == nil {
			t.Fatalf("%s: the action succeeded although the pipeline fails:\n%s", run, out)
		}
		expectOutput(t, run, out, `Error: Configure workflow failed for `+p.Kind+` default/example`,
			`Configure pipeline "configure" failed: .*the database is unreachable`,
			`Pipeline "configure" \(Job default/`, `kubectl logs -n default job/`)
	}
}

// TestAccActionReconcileRequests: kratix_reconcile_requests re-runs every
// request of a Promise, or those with the given labels, and names the ones
// that failed.
func TestAccActionReconcileRequests(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.Actions)
	p := newTestPromise()
	failInput := p.Name + "-fail"
	p.ConfigureEnvFrom = map[string]string{"KRATIX_EMULATOR_FAIL": failInput}
	cli := appliedCLI(t, harness.Current().ProviderConfig()+p.HCL()+
		actionRequestHCL("gold", `{ tier = "gold" }`)+actionRequestHCL("silver", `{ tier = "silver" }`)+`
action "kratix_reconcile_requests" "all" {
  config {
    promise = kratix_promise.test.name
  }
}

action "kratix_reconcile_requests" "gold" {
  config {
    promise   = kratix_promise.test.name
    namespace = "default"
    labels    = { tier = "gold" }
    timeout   = "2m"
  }
}
`)
	gold, silver := requestJobs(t, p, "gold"), requestJobs(t, p, "silver")
	out := cli.run("apply", "-auto-approve", "-input=false", "-invoke=action.kratix_reconcile_requests.all")
	expectOutput(t, "invoke", out, `Promise `+p.Name+`: asked Kratix to re-run 2 request\(s\)`, `Promise `+p.Name+`: 2 of 2 request\(s\) re-ran`)
	if g, s := requestJobs(t, p, "gold").newSince(gold), requestJobs(t, p, "silver").newSince(silver); g != 1 || s != 1 {
		t.Errorf("configure Jobs started by the action: gold %d, silver %d; want 1 each", g, s)
	}

	setPipelineInput(t, failInput, "quota exceeded")
	gold, silver = requestJobs(t, p, "gold"), requestJobs(t, p, "silver")
	out, err := cli.try("apply", "-auto-approve", "-input=false", "-invoke=action.kratix_reconcile_requests.gold")
	if err == nil {
		t.Fatalf("the action succeeded although the pipeline fails:\n%s", out)
	}
	expectOutput(t, "invoke", out, `Error: 1 resource request\(s\) of Promise `+p.Name+` failed to re-run`,
		`default/gold: configure pipeline "configure" failed: .*quota exceeded`, `Pipeline "configure" \(Job default/`)
	if strings.Contains(out, "default/silver") {
		t.Errorf("the labels filter let the action touch silver:\n%s", out)
	}
	if g, s := requestJobs(t, p, "gold").newSince(gold), requestJobs(t, p, "silver").newSince(silver); g != 1 || s != 0 {
		t.Errorf("configure Jobs started by the filtered action: gold %d, silver %d; want 1 and 0", g, s)
	}
}

// TestAccActionResumeWorkflow: a pipeline suspends the workflow
// (workflow-control); kratix_reconcile says so and how to resume;
// kratix_resume_workflow removes the label and waits for the workflow,
// reports a new suspension or a failure (and then points at
// kratix_reconcile, since a failed run cannot be resumed), and refuses an
// object that is not suspended.
func TestAccActionResumeWorkflow(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipInRealModeWithoutKratix2026(t, harness.RealNoWorkflowControl)
	harness.NeedCLIFeature(t, harness.Actions)
	p := newTestPromise()
	suspendInput, failInput := p.Name+"-suspend", p.Name+"-fail"
	p.ConfigureEnvFrom = map[string]string{"KRATIX_EMULATOR_SUSPEND": suspendInput, "KRATIX_EMULATOR_FAIL": failInput}
	cli := appliedCLI(t, harness.Current().ProviderConfig()+p.HCL()+actionRequestHCL("example", "{}")+`
action "kratix_reconcile" "request" {
  config {
    request = { promise = kratix_promise.test.name, name = "example" }
    timeout = "2m"
  }
}

action "kratix_resume_workflow" "request" {
  config {
    request = { api_version = "test.kratix.io/v1alpha1", kind = "`+p.Kind+`", namespace = "default", name = "example" }
    timeout = "2m"
  }
}
`)
	retries := 0 // each retry runs one more Job
	invoke := func(name string) (string, error) {
		out, err := cli.try("apply", "-auto-approve", "-input=false", "-invoke=action."+name)
		if err != nil && kratixAdapterStatusConflict(out) {
			// Kratix 2026's pipeline adapter labels the object, then
			// updates its status without retrying a conflict; when Kratix's
			// controller writes the object in between, the suspending Job
			// fails. Kratix's race, not the provider's. Whether the
			// suspension label survives that failure depends on what
			// Kratix's controller did meanwhile, so the test does what
			// works in both cases: it runs the workflow again from the
			// start, once, and checks both outputs.
			t.Logf("the pipeline adapter lost a status update to a conflict; re-running the workflow with kratix_reconcile")
			retries++
			again, errAgain := cli.try("apply", "-auto-approve", "-input=false", "-invoke=action.kratix_reconcile.request")
			return out + again, errAgain
		}
		return out, err
	}
	out, err := invoke("kratix_resume_workflow.request")
	if err == nil {
		t.Fatalf("resuming a workflow that is not suspended succeeded:\n%s", out)
	}
	expectOutput(t, "resume", out, `Error: The workflow of `+p.Kind+` default/example is not suspended`, `with action.kratix_resume_workflow.request`)

	setPipelineInput(t, suspendInput, "waiting for approval")
	out, err = invoke("kratix_reconcile.request")
	if err == nil {
		t.Fatalf("the re-run succeeded although the pipeline suspends the workflow:\n%s", out)
	}
	expectOutput(t, "reconcile", out, `Error: The workflow of `+p.Kind+` default/example suspended itself`,
		`Pipeline "configure" suspended the workflow: waiting for approval`, `kratix_resume_workflow`)
	if l := requestLabels(t, p, "example"); l[kratix.LabelWorkflowSuspended] != "true" {
		t.Fatalf("the request is not labelled suspended: %v", l)
	}

	out, err = invoke("kratix_resume_workflow.request")
	if err == nil {
		t.Fatalf("the resume succeeded although the pipeline suspends the workflow again:\n%s", out)
	}
	expectOutput(t, "resume", out, `Pipeline "configure" suspended the workflow: waiting for approval`)

	setPipelineInput(t, suspendInput, "")
	setPipelineInput(t, failInput, "approval service unreachable")
	out, err = invoke("kratix_resume_workflow.request")
	if err == nil {
		t.Fatalf("the resume succeeded although the pipeline fails:\n%s", out)
	}
	expectOutput(t, "resume", out, `Error: Configure workflow failed for `+p.Kind+` default/example`,
		`configure pipeline "configure" failed: .*approval service unreachable`,
		`then run the workflow again from the start with the kratix_reconcile action`)

	setPipelineInput(t, failInput, "")
	setPipelineInput(t, suspendInput, "waiting for approval")
	if out, err = invoke("kratix_reconcile.request"); err == nil {
		t.Fatalf("the re-run succeeded although the pipeline suspends the workflow:\n%s", out)
	}
	setPipelineInput(t, suspendInput, "")
	before, retriedBefore := requestJobs(t, p, "example"), retries
	out, err = invoke("kratix_resume_workflow.request")
	if err != nil {
		t.Fatalf("resuming the workflow failed:\n%s", out)
	}
	expectOutput(t, "resume", out, `resumed the suspended workflow`, `configure workflow completed`)
	if l := requestLabels(t, p, "example"); l[kratix.LabelWorkflowSuspended] != "" {
		t.Errorf("the request is still labelled suspended: %v", l)
	}
	if got, want := requestJobs(t, p, "example").newSince(before), 1+retries-retriedBefore; got != want {
		t.Errorf("the resume started %d configure Jobs of the request, want %d", got, want)
	}
}

// TestAccAction_badInput: a configuration that names no object, or two,
// or an invalid timeout fails validation naming the attribute; an object
// that does not exist or has no workflow fails the invocation at once.
func TestAccAction_badInput(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.Actions)
	cases := []struct{ name, config, want string }{
		{"promise and request", `promise = "a"
    request = { promise = "a", name = "b" }`, `(?s)Invalid Attribute Combination.*Exactly one of these attributes must be configured: \[promise,request\]`},
		{"neither", `timeout = "1m"`, `Exactly one of these attributes must be configured: \[promise,request\]`},
		{"request by promise and kind", `request = { promise = "a", kind = "b", api_version = "x/v1", name = "c" }`,
			`(?s)Invalid Attribute Combination.*request.promise`},
		{"kind without api_version", `request = { kind = "b", name = "c" }`, `(?s)Invalid Attribute Combination.*request.api_version`},
		{"timeout", `promise = "a"
    timeout = "soon"`, `(?s)Invalid duration.*"soon" must be a Go duration`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cli := newTerraformCLI(t, harness.Current().ProviderConfig()+"action \"kratix_reconcile\" \"x\" {\n  config {\n    "+c.config+"\n  }\n}\n")
			out, err := cli.try("validate")
			if err == nil {
				t.Fatalf("validate accepted the configuration:\n%s", out)
			}
			expectOutput(t, "validate", out, c.want)
		})
	}

	p := newTestPromise()
	cli := appliedCLI(t, harness.Current().ProviderConfig()+p.HCL()+`
action "kratix_reconcile" "missing" {
  config {
    promise = "`+p.Name+`-missing"
  }
}

action "kratix_reconcile" "no_workflow" {
  config {
    promise = kratix_promise.test.name
  }
}

action "kratix_reconcile_requests" "missing" {
  config {
    promise = "`+p.Name+`-missing"
  }
}

action "kratix_reconcile" "no_request" {
  config {
    request = { promise = kratix_promise.test.name, name = "nobody" }
  }
}
`)
	for name, want := range map[string][]string{
		"kratix_reconcile.missing":          {`Error: No Promise named ` + p.Name + `-missing`, `Check promise\.`},
		"kratix_reconcile_requests.missing": {`Error: No Promise named ` + p.Name + `-missing`, `Check promise\.`},
		"kratix_reconcile.no_workflow":      {`Error: Promise ` + p.Name + ` has no promise configure workflow`, `use the kratix_reconcile_requests action`},
		"kratix_reconcile.no_request":       {`Error: No resource request ` + p.Kind + ` default/nobody`, `Check request.name and request.namespace`},
	} {
		out, err := cli.try("apply", "-auto-approve", "-input=false", "-invoke=action."+name)
		if err == nil {
			t.Errorf("%s succeeded:\n%s", name, out)
			continue
		}
		expectOutput(t, name, out, want...)
	}
}

// TestAccActionReconcile_actionTrigger: an action_trigger runs
// kratix_reconcile after a resource is created, and the workflow re-runs.
func TestAccActionReconcile_actionTrigger(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.Actions)
	p := newTestPromise()
	base := harness.Current().ProviderConfig() + p.HCL() + actionRequestHCL("example", "{}")
	var before jobSet
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_14_0),
		Steps: []resource.TestStep{
			{
				Config: base,
				Check: func(*terraform.State) error {
					before = requestJobs(t, p, "example")
					return nil
				},
			},
			{
				Config: base + `
action "kratix_reconcile" "after_change" {
  config {
    request = { promise = kratix_promise.test.name, name = kratix_resource_request.example.name }
  }
}

resource "terraform_data" "change" {
  input = "v1"
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.kratix_reconcile.after_change]
    }
  }
}
`,
				Check: func(*terraform.State) error {
					if got := requestJobs(t, p, "example").newSince(before); got != 1 {
						return fmt.Errorf("the triggered action started %d configure Jobs of the request, want 1", got)
					}
					return nil
				},
			},
		},
	})
}

// kratixAdapterStatusConflict reports whether Terraform's output shows a
// pipeline Job that failed because Kratix's pipeline adapter lost its
// status update to a conflict.
func kratixAdapterStatusConflict(out string) bool {
	return strings.Contains(out, "failed to update status: Operation cannot be fulfilled")
}
