package emulator

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestIntegrationRequestLifecycle: a request of a two-pipeline Promise is
// configured pipeline by pipeline, gets a pipeline-written status field,
// re-runs on a spec change but not on a label change, and re-runs on the
// manual-reconciliation label, which is then removed.
func TestIntegrationRequestLifecycle(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{
		env(EnvStatus, `{"url": "https://db.example", "conditions": [{"type": "DatabaseReady", "status": "True", "reason": "Provisioned", "message": "ok"}]}`),
		env(EnvDuration, "300ms"),
	}
	c.install(p)
	c.create(p.gvr(), p.request("default", "lifecycle", "small"))
	rr := c.waitFor("configured", p.gvr(), "default", "lifecycle", configured)

	if got := statusString(rr, "message"); got != msgResourceRequested {
		t.Errorf("message %q, want %q", got, msgResourceRequested)
	}
	if statusString(rr, "url") != "https://db.example" || !condIs(rr, "DatabaseReady", "True", "Provisioned") {
		t.Errorf("the pipeline-written status is missing:\n%s", dump(rr))
	}
	if statusInt(rr, "workflows") != 2 || statusInt(rr, "workflowsSucceeded") != 2 || statusInt(rr, "workflowsFailed") != 0 {
		t.Errorf("counters:\n%s", dump(rr))
	}
	for _, e := range pipelineEntries(rr.Object["status"].(map[string]any)) {
		if e["phase"] != phaseSucceeded || e["lastTransitionTime"] == nil {
			t.Errorf("pipeline %v", e)
		}
	}
	if statusString(rr, "promiseVersion") != "v1.0.0" || statusString(rr, "resourceBindingVersion") != "latest" {
		t.Errorf("versions:\n%s", dump(rr))
	}
	lst := statusString(rr, "lastSuccessfulConfigureWorkflowTime")
	if lst == "" || lst != statusString(rr, "kratix", "workflows", "lastSuccessfulConfigureWorkflowTime") || lst != cond(rr, condConfigureWorkflowCompleted)["lastTransitionTime"] {
		t.Errorf("lastSuccessfulConfigureWorkflowTime:\n%s", dump(rr))
	}
	if !slices.Equal(rr.GetFinalizers(), requestFinalizers) || rr.GetLabels()[labelPromiseName] != p.name {
		t.Errorf("finalizers %v, labels %v", rr.GetFinalizers(), rr.GetLabels())
	}
	// Without a Ready Destination the Works are pending.
	if !condIs(rr, condWorksSucceeded, "Unknown", "WorksPending") || !condIs(rr, condReconciled, "Unknown", "WorksPending") {
		t.Errorf("WorksSucceeded %s, Reconciled %s", fmtCond(rr, condWorksSucceeded), fmtCond(rr, condReconciled))
	}
	checkJobs(t, c, p, rr, 2)
	checkResourceBinding(t, c, p, rr)

	// A label change does not re-run the workflow.
	c.patch(p.gvr(), "default", "lifecycle", `{"metadata":{"labels":{"team":"data"}}}`)
	c.waitFor("binding labels", gvrResourceBinding, "default", resourceBindingName("lifecycle", p.name), func(o *unstructured.Unstructured) bool {
		return o != nil && o.GetLabels()["team"] == "data"
	})
	if n := len(c.jobs("default", map[string]string{labelResourceName: "lifecycle", labelPromiseName: p.name})); n != 2 {
		t.Errorf("a label change created Jobs: %d", n)
	}

	// A spec change does.
	updated := c.patch(p.gvr(), "default", "lifecycle", `{"spec":{"size":"large"}}`)
	rr = c.waitFor("generation 2 configured", p.gvr(), "default", "lifecycle", func(o *unstructured.Unstructured) bool {
		return configured(o) && o.GetGeneration() == updated.GetGeneration()
	})
	if rr.GetGeneration() != 2 || statusString(rr, "message") != msgResourceRequested {
		t.Errorf("after the update:\n%s", dump(rr))
	}
	if n := len(c.jobs("default", map[string]string{labelResourceName: "lifecycle", labelPromiseName: p.name})); n != 4 {
		t.Errorf("want 4 Jobs after a re-run, got %d", n)
	}

	// Manual reconciliation re-runs from the start and removes the label.
	c.patch(p.gvr(), "default", "lifecycle", `{"metadata":{"labels":{"kratix.io/manual-reconciliation":"true"}}}`)
	c.waitFor("a third run", p.gvr(), "default", "lifecycle", func(o *unstructured.Unstructured) bool {
		return o.GetLabels()[labelManualReconciliation] == "" && configured(o) &&
			len(c.jobs("default", map[string]string{labelResourceName: "lifecycle", labelPromiseName: p.name})) == 6
	})
}

// checkJobs asserts the Kratix names and labels of a request's Jobs.
func checkJobs(t *testing.T, c *cluster, p testPromise, rr *unstructured.Unstructured, want int) {
	t.Helper()
	jobs := c.jobs(rr.GetNamespace(), map[string]string{labelPromiseName: p.name, labelResourceName: rr.GetName()})
	if len(jobs) != want {
		t.Fatalf("want %d Jobs, got %d", want, len(jobs))
	}
	for _, j := range jobs {
		l := j.GetLabels()
		pipe := l[labelPipelineName]
		nameRE := regexp.MustCompile("^" + regexp.QuoteMeta(namePrefix(jobNamePrefix(p.name, rr.GetName(), "", pipe))) + "-[0-9a-f]{5}$")
		if !nameRE.MatchString(j.GetName()) {
			t.Errorf("Job name %q", j.GetName())
		}
		if l[labelWorkflowType] != "resource" || l[labelWorkflowAction] != "configure" || l[labelManagedBy] != "Kratix" ||
			len(l[labelHash]) != 32 || l["example.com/team"] != "platform" {
			t.Errorf("Job %s labels %v", j.GetName(), l)
		}
		owners := j.GetOwnerReferences()
		if len(owners) != 1 || owners[0].UID != rr.GetUID() {
			t.Errorf("Job %s owners %v", j.GetName(), owners)
		}
		if !condIs(&j, "Complete", "True", "") || !condIs(&j, "SuccessCriteriaMet", "True", "") {
			t.Errorf("Job %s status %v", j.GetName(), j.Object["status"])
		}
	}
}

func checkResourceBinding(t *testing.T, c *cluster, p testPromise, rr *unstructured.Unstructured) {
	t.Helper()
	name := resourceBindingName(rr.GetName(), p.name)
	rb := c.waitFor("lastAppliedVersion", gvrResourceBinding, rr.GetNamespace(), name, func(o *unstructured.Unstructured) bool {
		return statusString(o, "lastAppliedVersion") != ""
	})
	if rb.GetLabels()[labelPromiseName] != p.name || rb.GetLabels()[labelResourceName] != rr.GetName() ||
		nestedString(rb.Object, "spec", "version") != "latest" || nestedString(rb.Object, "spec", "promiseRef", "name") != p.name {
		t.Errorf("ResourceBinding:\n%s", dump(rb))
	}
	if !strings.HasPrefix(name, rr.GetName()+"-"+p.name+"-") {
		t.Errorf("ResourceBinding name %q", name)
	}
}

// TestIntegrationFailedPipeline: the pipeline's message reaches the pipeline
// status and the Job; the request is not marked observed.
func TestIntegrationFailedPipeline(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{env(EnvFail, "terraform plan in pipeline: bucket name taken")}
	c.install(p)
	c.create(p.gvr(), p.request("default", "broken", "small"))
	rr := c.waitFor("ConfigureWorkflowFailed", p.gvr(), "default", "broken", func(o *unstructured.Unstructured) bool {
		return condIs(o, condConfigureWorkflowCompleted, "False", "ConfigureWorkflowFailed")
	})
	if got := cond(rr, condConfigureWorkflowCompleted)["message"]; got != "A Configure Pipeline has failed: configure" {
		t.Errorf("condition message %q", got)
	}
	if !condIs(rr, condReconciled, "False", "ConfigureWorkflowFailed") || cond(rr, condReconciled)["message"] != "Failing" {
		t.Errorf("Reconciled %s", fmtCond(rr, condReconciled))
	}
	entries := pipelineEntries(rr.Object["status"].(map[string]any))
	if len(entries) != 1 || entries[0]["phase"] != phaseFailed || entries[0]["message"] != "terraform plan in pipeline: bucket name taken" {
		t.Errorf("pipelines %v", entries)
	}
	if statusInt(rr, "workflowsFailed") != 1 || statusInt(rr, "workflowsSucceeded") != 0 || statusInt(rr, "observedGeneration") != -1 {
		t.Errorf("counters/observedGeneration:\n%s", dump(rr))
	}
	if statusString(rr, "message") != msgPending {
		t.Errorf("message %q", statusString(rr, "message"))
	}
	jobs := c.jobs("default", map[string]string{labelPromiseName: p.name, labelResourceName: "broken"})
	if len(jobs) != 1 || !condIs(&jobs[0], "Failed", "True", "BackoffLimitExceeded") ||
		cond(&jobs[0], "Failed")["message"] != "terraform plan in pipeline: bucket name taken" {
		t.Errorf("Jobs: %v", jobs)
	}
}

// TestIntegrationKratixStatusKeyFails: a status.yaml with `kratix` fails the
// pipeline, as the status-writer does.
func TestIntegrationKratixStatusKeyFails(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{env(EnvStatus, `{"kratix": {"workflows": {}}}`)}
	c.install(p)
	c.create(p.gvr(), p.request("default", "sneaky", "small"))
	rr := c.waitFor("failed", p.gvr(), "default", "sneaky", func(o *unstructured.Unstructured) bool {
		return condIs(o, condConfigureWorkflowCompleted, "False", "ConfigureWorkflowFailed")
	})
	if e := pipelineEntries(rr.Object["status"].(map[string]any)); !strings.Contains(e[0]["message"].(string), "'kratix' is a kratix managed status field") {
		t.Errorf("pipelines %v", e)
	}
}

// TestIntegrationSuspendAndResume: workflow-control suspend labels the
// request; removing the label re-runs the pipeline.
func TestIntegrationSuspendAndResume(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{{fromConfigMap(EnvSuspend, "suspend-behaviour", "suspend")}}
	c.install(p)
	c.createConfigMap("default", "suspend-behaviour", map[string]string{"suspend": "waiting for approval"})
	c.create(p.gvr(), p.request("default", "approval", "small"))
	rr := c.waitFor("suspended", p.gvr(), "default", "approval", func(o *unstructured.Unstructured) bool {
		return o.GetLabels()[labelWorkflowSuspended] == "true" && condIs(o, condReconciled, "Unknown", "WorkflowSuspended")
	})
	e := pipelineEntries(rr.Object["status"].(map[string]any))
	if e[0]["phase"] != phaseSuspended || e[0]["message"] != "waiting for approval" || statusInt(rr, "kratix", "workflows", "suspendedGeneration") != 1 {
		t.Errorf("suspended status:\n%s", dump(rr))
	}
	c.deleteConfigMap("default", "suspend-behaviour")
	c.patch(p.gvr(), "default", "approval", `{"metadata":{"labels":{"kratix.io/workflow-suspended":null}}}`)
	c.waitFor("configured after resuming", p.gvr(), "default", "approval", configured)
}

// TestIntegrationInvalidPipelineStatus: a status.yaml the API server
// rejects fails the pipeline, as the status-writer's error would.
func TestIntegrationInvalidPipelineStatus(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{env(EnvStatus, `{"message": 5}`)}
	c.install(p)
	c.create(p.gvr(), p.request("default", "invalid", "small"))
	rr := c.waitFor("failed", p.gvr(), "default", "invalid", func(o *unstructured.Unstructured) bool {
		return condIs(o, condConfigureWorkflowCompleted, "False", "ConfigureWorkflowFailed")
	})
	if e := pipelineEntries(rr.Object["status"].(map[string]any)); !strings.Contains(e[0]["message"].(string), "failed to update status") {
		t.Errorf("pipelines %v", e)
	}
}
