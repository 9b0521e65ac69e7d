package emulator

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestIntegrationPromiseStatus: a Promise with a configure pipeline that
// writes its message, checked field by field against kratix-api.md §3.
func TestIntegrationPromiseStatus(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.promiseConfigure = [][]corev1.EnvVar{env(EnvStatus, `{"message": "Promise ready for teams", "ignored": "x"}`)}
	c.create(gvrPromise, p.object())
	t.Cleanup(func() { c.uninstall(p.name) })
	promise := c.waitFor("Available and configured", gvrPromise, "", p.name, func(o *unstructured.Unstructured) bool {
		return statusString(o, "status") == statusAvailable && condIs(o, condConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully") &&
			cond(o, condReconciled) != nil
	})
	checks := map[string]string{
		"kind": p.kind, "apiVersion": testGroup + "/v1alpha1", "version": "v1.0.0", "message": "Promise ready for teams",
		"kratix.kind": p.kind, "kratix.apiVersion": testGroup + "/v1alpha1", "kratix.version": "v1.0.0", "kratix.status": statusAvailable,
	}
	for path, want := range checks {
		if got := statusString(promise, splitDots(path)...); got != want {
			t.Errorf("status.%s = %q, want %q", path, got, want)
		}
	}
	if statusString(promise, "lastAvailableTime") == "" || statusString(promise, "lastAvailableTime") != statusString(promise, "kratix", "lastAvailableTime") {
		t.Errorf("lastAvailableTime:\n%s", dump(promise))
	}
	if statusString(promise, "ignored") != "" {
		t.Error("only message persists from a Promise pipeline")
	}
	if !condIs(promise, condAvailable, "True", "PromiseAvailable") || cond(promise, condAvailable)["message"] != "Ready to fulfil resource requests" {
		t.Errorf("Available %s", fmtCond(promise, condAvailable))
	}
	// The promise pipeline's Work has no Destination to go to.
	if !condIs(promise, condWorksSucceeded, "Unknown", "WorksPending") || !condIs(promise, condReconciled, "Unknown", "WorksPending") {
		t.Errorf("WorksSucceeded %s Reconciled %s", fmtCond(promise, condWorksSucceeded), fmtCond(promise, condReconciled))
	}
	if cond(promise, condRequirementsFulfilled) != nil {
		t.Error("RequirementsFulfilled only with requiredPromises")
	}
	if statusInt(promise, "workflows") != 1 || statusInt(promise, "workflowsSucceeded") != 1 || statusInt(promise, "workflowsFailed") != 0 {
		t.Errorf("counters:\n%s", dump(promise))
	}
	if e := pipelineEntries(promise.Object["status"].(map[string]any)); len(e) != 1 || e[0]["name"] != "promise-configure" || e[0]["phase"] != phaseSucceeded {
		t.Errorf("pipelines %v", e)
	}
	want := []string{finalizerResourceRequestCleanup, finalizerDynamicControllerCleanup, finalizerAPICRDCleanup,
		finalizerDependenciesCleanup, finalizerWorkflowsCleanup, finalizerRevisionCleanup}
	if !slices.Equal(promise.GetFinalizers(), want) {
		t.Errorf("finalizers %v, want %v", promise.GetFinalizers(), want)
	}
	jobs := c.jobs(platformNamespace, map[string]string{labelPromiseName: p.name, labelWorkflowType: workflowPromise})
	if len(jobs) != 1 || jobs[0].GetLabels()[labelPipelineName] != "promise-configure" || jobs[0].GetLabels()[labelHash] != specHash(promise.Object) {
		t.Errorf("promise Jobs: %v", jobs)
	}
	rev := c.get(gvrPromiseRevision, "", revisionName(p.name, "v1.0.0"))
	if rev == nil || rev.GetLabels()[labelLatestRevision] != "true" || nestedString(rev.Object, "spec", "version") != "v1.0.0" ||
		nestedString(rev.Object, "spec", "promiseRef", "name") != p.name {
		t.Errorf("revision:\n%s", dump(rev))
	}
	crd := c.get(gvrCRD, "", p.kind+"s."+testGroup)
	if crd == nil || crd.GetLabels()[labelPromiseName] != p.name {
		t.Fatalf("CRD:\n%s", dump(crd))
	}
	v := nestedSlice(crd.Object, "spec", "versions")[0].(map[string]any)
	if _, ok := nestedMap(v, "subresources")["status"]; !ok || len(nestedSlice(v, "additionalPrinterColumns")) != 2 {
		t.Errorf("CRD version:\n%v", v)
	}
	if observed := statusInt(promise, "observedGeneration"); observed > 0 {
		t.Errorf("observedGeneration stays unset at generation 1, got %d", observed)
	}
}

func splitDots(path string) []string {
	var out []string
	start := 0
	for i := range path {
		if path[i] == '.' {
			out = append(out, path[start:i])
			start = i + 1
		}
	}
	return append(out, path[start:])
}

// TestIntegrationPromiseConfigureFails: a failing promise pipeline keeps a
// new Promise Unavailable, and its requests wait.
func TestIntegrationPromiseConfigureFails(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.promiseConfigure = [][]corev1.EnvVar{env(EnvFail, "helm install failed: chart not found")}
	p.configure = [][]corev1.EnvVar{nil}
	c.create(gvrPromise, p.object())
	t.Cleanup(func() { c.uninstall(p.name) })
	promise := c.waitFor("ConfigureWorkflowFailed", gvrPromise, "", p.name, func(o *unstructured.Unstructured) bool {
		return condIs(o, condConfigureWorkflowCompleted, "False", "ConfigureWorkflowFailed")
	})
	if statusString(promise, "status") != statusUnavailable || !condIs(promise, condAvailable, "False", "PromiseUnavailable") ||
		statusInt(promise, "workflowsFailed") != 1 {
		t.Errorf("promise:\n%s", dump(promise))
	}
	if e := pipelineEntries(promise.Object["status"].(map[string]any)); e[0]["message"] != "helm install failed: chart not found" {
		t.Errorf("pipelines %v", e)
	}
	c.waitFor("CRD established", gvrCRD, "", p.kind+"s."+testGroup, func(o *unstructured.Unstructured) bool {
		return condIs(o, "Established", "True", "")
	})
	c.create(p.gvr(), p.request("default", "waiting", "small"))
	rr := c.waitFor("PromiseAvailable=False", p.gvr(), "default", "waiting", func(o *unstructured.Unstructured) bool {
		return condIs(o, condPromiseAvailable, "False", "PromiseRequirementsNotInstalled")
	})
	if statusString(rr, "message") != msgPending || cond(rr, condPromiseAvailable)["message"] != "Promise Requirements are not installed" {
		t.Errorf("request:\n%s", dump(rr))
	}
	if n := len(c.jobs("default", map[string]string{labelResourceName: "waiting"})); n != 0 {
		t.Errorf("no workflow may run while the Promise is unavailable, got %d Jobs", n)
	}
}

// TestIntegrationRequiredPromises: a Promise is Unavailable until every
// required Promise exists at the right version and is Available; its
// requests wait meanwhile and proceed afterwards.
func TestIntegrationRequiredPromises(t *testing.T) {
	c := integration(t)
	dep := newTestPromise()
	dep.version = "v1.0.0"
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{nil}
	obj := p.object()
	_ = unstructured.SetNestedSlice(obj.Object, []any{map[string]any{"name": dep.name, "version": "v2.0.0"}}, "spec", "requiredPromises")
	c.create(gvrPromise, obj)
	t.Cleanup(func() { c.uninstall(p.name) })
	promise := c.waitFor("RequirementsNotInstalled", gvrPromise, "", p.name, func(o *unstructured.Unstructured) bool {
		return condIs(o, condRequirementsFulfilled, "False", "RequirementsNotInstalled") && statusString(o, "kind") != ""
	})
	if statusString(promise, "status") != statusUnavailable || !condIs(promise, condReconciled, "Unknown", "RequirementsNotFulfilled") {
		t.Errorf("promise:\n%s", dump(promise))
	}
	if got := requiredState(promise); got != reqNotInstalled {
		t.Errorf("state %q", got)
	}
	c.create(p.gvr(), p.request("default", "early", "small"))
	c.waitFor("PromiseAvailable=False", p.gvr(), "default", "early", func(o *unstructured.Unstructured) bool {
		return condIs(o, condPromiseAvailable, "False", "PromiseRequirementsNotInstalled") && statusString(o, "message") == msgPending
	})

	c.install(dep)
	c.waitFor("wrong version", gvrPromise, "", p.name, func(o *unstructured.Unstructured) bool {
		return requiredState(o) == reqNotInstalledAtVers
	})
	c.patch(gvrPromise, "", dep.name, `{"metadata":{"labels":{"kratix.io/promise-version":"v2.0.0"}}}`)
	promise = c.waitFor("Available", gvrPromise, "", p.name, func(o *unstructured.Unstructured) bool {
		return statusString(o, "status") == statusAvailable
	})
	if !condIs(promise, condRequirementsFulfilled, "True", "RequirementsInstalled") || requiredState(promise) != reqInstalled {
		t.Errorf("promise:\n%s", dump(promise))
	}
	required := c.get(gvrPromise, "", dep.name)
	by := nestedSlice(required.Object, "status", "requiredBy")
	if len(by) != 1 || nestedString(by[0].(map[string]any), "promise", "name") != p.name || by[0].(map[string]any)["requiredVersion"] != "v2.0.0" {
		t.Errorf("requiredBy %v", by)
	}
	rr := c.waitFor("configured", p.gvr(), "default", "early", configured)
	if !condIs(rr, condPromiseAvailable, "True", "PromiseAvailable") || statusString(rr, "message") != msgResourceRequested {
		t.Errorf("request:\n%s", dump(rr))
	}
}

func requiredState(promise *unstructured.Unstructured) string {
	list := nestedSlice(promise.Object, "status", "requiredPromises")
	if len(list) == 0 {
		return ""
	}
	s, _ := list[0].(map[string]any)["state"].(string)
	return s
}

// TestIntegrationNoConfigurePipeline: §5.4 caveat: observedGeneration at
// once and none of the workflow conditions.
func TestIntegrationNoConfigurePipeline(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	c.install(p)
	c.create(p.gvr(), p.request("default", "bare", "small"))
	rr := c.waitFor("observed", p.gvr(), "default", "bare", func(o *unstructured.Unstructured) bool {
		return statusInt(o, "observedGeneration") == 1
	})
	for _, ct := range []string{condConfigureWorkflowCompleted, condWorksSucceeded, condReconciled} {
		if cond(rr, ct) != nil {
			t.Errorf("unexpected %s", ct)
		}
	}
	if statusInt(rr, "workflows") != 0 || statusString(rr, "message") != "" {
		t.Errorf("request:\n%s", dump(rr))
	}
}
