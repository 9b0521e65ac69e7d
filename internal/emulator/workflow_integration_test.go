package emulator

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestIntegrationStaticDependencies: spec.dependencies become one Work in
// kratix-platform-system that follows the Promise (§3.1).
func TestIntegrationStaticDependencies(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	obj := p.object()
	deps := []any{map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "deps-" + p.name}}}
	_ = unstructured.SetNestedSlice(obj.Object, deps, "spec", "dependencies")
	c.create(gvrPromise, obj)
	t.Cleanup(func() { c.uninstall(p.name) })
	c.waitFor("Available", gvrPromise, "", p.name, func(o *unstructured.Unstructured) bool { return statusString(o, "status") == statusAvailable })
	promise := c.get(gvrPromise, "", p.name)
	for _, f := range []string{finalizerDependenciesCleanup} {
		if !hasFinalizer(promise, f) {
			t.Errorf("finalizer %s missing: %v", f, promise.GetFinalizers())
		}
	}
	selector := labelPromiseName + "=" + p.name + "," + labelWorkType + "=" + workTypeStaticDep
	works := c.list(gvrWork, platformNamespace, selector)
	if len(works) != 1 || !strings.HasPrefix(works[0].GetName(), p.name+"-static-deps-") ||
		works[0].GetAnnotations()[annotationLastUpdatedAt] == "" {
		t.Fatalf("Works: %v", works)
	}
	group := nestedSlice(works[0].Object, "spec", "workloadGroups")[0].(map[string]any)
	wl := nestedSlice(group, "workloads")[0].(map[string]any)
	if wl["filepath"] != "static/"+p.name+"-dependencies.yaml" {
		t.Errorf("workload %v", wl["filepath"])
	}
	c.patch(gvrPromise, "", p.name, `{"spec":{"dependencies":null}}`)
	c.waitGone(gvrWork, platformNamespace, works[0].GetName())
}

// TestIntegrationPipelineNamespace: with workflows.config.pipelineNamespace
// the request's Jobs and Works live there, carry resource-namespace, and
// are not owned by the request; deleting the request still removes them.
func TestIntegrationPipelineNamespace(t *testing.T) {
	c := integration(t)
	c.namespace("emu-pipelines")
	c.namespace("emu-team-c")
	p := newTestPromise()
	p.pipelineNamespace = "emu-pipelines"
	p.configure = [][]corev1.EnvVar{nil}
	p.delete = [][]corev1.EnvVar{nil}
	c.install(p)
	c.create(p.gvr(), p.request("emu-team-c", "remote", "small"))
	rr := c.waitFor("configured", p.gvr(), "emu-team-c", "remote", configured)
	jobs := c.jobs("emu-pipelines", map[string]string{labelPromiseName: p.name, labelResourceName: "remote"})
	if len(jobs) != 1 || jobs[0].GetLabels()[labelResourceNamespace] != "emu-team-c" || len(jobs[0].GetOwnerReferences()) != 0 ||
		!strings.HasPrefix(jobs[0].GetName(), "kratix-"+p.name+"-remote-emu-team-c-configure-") {
		t.Fatalf("Jobs: %v", jobs)
	}
	works := c.list(gvrWork, "emu-pipelines", labelResourceName+"=remote")
	if len(works) != 1 || works[0].GetLabels()[labelResourceNamespace] != "emu-team-c" {
		t.Fatalf("Works: %v", works)
	}
	if statusString(rr, "message") != msgResourceRequested || !condIs(rr, condWorksSucceeded, "Unknown", "WorksPending") {
		t.Errorf("request:\n%s", dump(rr))
	}
	c.delete(p.gvr(), "emu-team-c", "remote")
	c.waitGone(p.gvr(), "emu-team-c", "remote")
	if n := len(c.jobs("emu-pipelines", map[string]string{labelPromiseName: p.name})); n != 0 {
		t.Errorf("%d Jobs left", n)
	}
	c.waitGone(gvrWork, "emu-pipelines", works[0].GetName())
}

// TestIntegrationJobRetention: Kratix keeps the newest five Jobs of each
// pipeline.
func TestIntegrationJobRetention(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{env(EnvDuration, "10ms")}
	c.install(p)
	c.create(p.gvr(), p.request("default", "busy", "size-0"))
	c.waitFor("configured", p.gvr(), "default", "busy", configured)
	for i := 1; i <= 6; i++ {
		updated := c.patch(p.gvr(), "default", "busy", `{"spec":{"size":"size-`+string(rune('0'+i))+`"}}`)
		c.waitFor("configured", p.gvr(), "default", "busy", func(o *unstructured.Unstructured) bool {
			return configured(o) && o.GetGeneration() == updated.GetGeneration()
		})
	}
	c.waitFor("five Jobs", p.gvr(), "default", "busy", func(*unstructured.Unstructured) bool {
		return len(c.jobs("default", map[string]string{labelPromiseName: p.name, labelResourceName: "busy"})) == jobsToKeep
	})
}
