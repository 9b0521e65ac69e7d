package emulator

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestIntegrationStuckRequestDeleteManualReconciliation: a failing delete
// pipeline keeps the request with DeleteWorkflowCompleted=False; once the
// cause is gone, the manual-reconciliation label re-runs it and Kratix
// finishes the deletion.
func TestIntegrationStuckRequestDeleteManualReconciliation(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{nil}
	p.delete = [][]corev1.EnvVar{{fromConfigMap(EnvFail, "delete-behaviour", "fail")}}
	c.install(p)
	c.createConfigMap("default", "delete-behaviour", map[string]string{"fail": "cannot drop database: connections open"})
	c.create(p.gvr(), p.request("default", "stuck", "small"))
	c.waitFor("configured", p.gvr(), "default", "stuck", configured)

	c.delete(p.gvr(), "default", "stuck")
	rr := c.waitFor("DeleteWorkflowFailed", p.gvr(), "default", "stuck", func(o *unstructured.Unstructured) bool {
		return condIs(o, condDeleteWorkflowCompleted, "False", "DeleteWorkflowFailed")
	})
	if cond(rr, condDeleteWorkflowCompleted)["message"] != msgDeleteFailed || !slices.Equal(rr.GetFinalizers(), requestFinalizers) {
		t.Errorf("stuck request:\n%s", dump(rr))
	}
	deleteJobs := c.jobs("default", map[string]string{labelPromiseName: p.name, labelResourceName: "stuck", labelWorkflowAction: actionDelete})
	if len(deleteJobs) != 1 || cond(&deleteJobs[0], "Failed")["message"] != "cannot drop database: connections open" ||
		deleteJobs[0].GetLabels()[labelPipelineName] != "cleanup" {
		t.Fatalf("delete Jobs: %v", deleteJobs)
	}
	// It stays stuck: nothing re-runs by itself.
	if n := len(c.jobs("default", map[string]string{labelResourceName: "stuck", labelWorkflowAction: actionDelete})); n != 1 {
		t.Errorf("%d delete Jobs", n)
	}

	c.deleteConfigMap("default", "delete-behaviour")
	c.patch(p.gvr(), "default", "stuck", `{"metadata":{"labels":{"kratix.io/manual-reconciliation":"true"}}}`)
	c.waitGone(p.gvr(), "default", "stuck")
	if n := len(c.jobs("default", map[string]string{labelResourceName: "stuck", labelPromiseName: p.name})); n != 0 {
		t.Errorf("workflows-cleanup left %d Jobs", n)
	}
	c.waitGone(gvrResourceBinding, "default", resourceBindingName("stuck", p.name))
}

// TestIntegrationStuckRequestDeleteFixedByPromiseUpdate: updating the
// Promise gives the delete pipeline a new hash, so it runs again.
func TestIntegrationStuckRequestDeleteFixedByPromiseUpdate(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{nil}
	p.delete = [][]corev1.EnvVar{env(EnvFail, "cannot drop database: connections open")}
	c.install(p)
	c.create(p.gvr(), p.request("default", "stuck", "small"))
	c.waitFor("configured", p.gvr(), "default", "stuck", configured)
	c.delete(p.gvr(), "default", "stuck")
	c.waitFor("DeleteWorkflowFailed", p.gvr(), "default", "stuck", func(o *unstructured.Unstructured) bool {
		return condIs(o, condDeleteWorkflowCompleted, "False", "DeleteWorkflowFailed")
	})
	c.patch(gvrPromise, "", p.name, `{"spec":{"workflows":{"resource":{"delete":[`+mustJSON(t, testPipeline("cleanup", nil))+`]}}}}`)
	c.waitGone(p.gvr(), "default", "stuck")
}

// TestIntegrationRequestDeleteWithoutDeletePipeline: the finalizers go in
// order and take the Works, Jobs and ResourceBinding with them.
func TestIntegrationRequestDeleteWithoutDeletePipeline(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{nil}
	c.install(p)
	c.create(p.gvr(), p.request("default", "plain", "small"))
	c.waitFor("configured", p.gvr(), "default", "plain", configured)
	works := c.list(gvrWork, "default", labelResourceName+"=plain,"+labelPromiseName+"="+p.name)
	if len(works) != 1 || works[0].GetLabels()[labelWorkType] != "resource" || works[0].GetLabels()[labelPipelineName] != "configure" ||
		!slices.Contains(works[0].GetFinalizers(), finalizerWorkCleanup) {
		t.Fatalf("Works: %v", works)
	}
	c.delete(p.gvr(), "default", "plain")
	c.waitGone(p.gvr(), "default", "plain")
	c.waitGone(gvrWork, "default", works[0].GetName())
	if n := len(c.jobs("default", map[string]string{labelResourceName: "plain", labelPromiseName: p.name})); n != 0 {
		t.Errorf("%d Jobs left", n)
	}
}

// TestIntegrationPromiseDelete: deleting a Promise deletes its requests
// (running their delete pipelines), Jobs, Works, revisions and CRD.
func TestIntegrationPromiseDelete(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.promiseConfigure = [][]corev1.EnvVar{nil}
	p.configure = [][]corev1.EnvVar{nil}
	p.delete = [][]corev1.EnvVar{nil}
	c.create(gvrPromise, p.object())
	c.waitFor("Available", gvrPromise, "", p.name, func(o *unstructured.Unstructured) bool { return statusString(o, "status") == statusAvailable })
	c.namespace("emu-team-b")
	for _, ns := range []string{"default", "emu-team-b"} {
		c.create(p.gvr(), p.request(ns, "doomed", "small"))
		c.waitFor("configured", p.gvr(), ns, "doomed", configured)
	}
	crdName := p.kind + "s." + testGroup
	if crd := c.get(gvrCRD, "", crdName); crd == nil || crd.GetLabels()[labelPromiseName] != p.name {
		t.Fatalf("CRD: %v", crd)
	}
	c.uninstall(p.name)
	for _, ns := range []string{"default", "emu-team-b"} {
		if rr := c.get(p.gvr(), ns, "doomed"); rr != nil {
			t.Errorf("request %s/doomed survived its Promise", ns)
		}
	}
	c.waitGone(gvrCRD, "", crdName)
	if n := len(c.list(gvrPromiseRevision, "", labelPromiseName+"="+p.name)); n != 0 {
		t.Errorf("%d revisions left", n)
	}
	if n := len(c.list(gvrWork, "", labelPromiseName+"="+p.name)); n != 0 {
		t.Errorf("%d Works left", n)
	}
	if n := len(c.jobs("", map[string]string{labelPromiseName: p.name})); n != 0 {
		t.Errorf("%d Jobs left", n)
	}
	sas, err := c.kube.CoreV1().ServiceAccounts("").List(context.Background(), metav1.ListOptions{LabelSelector: labelPromiseName + "=" + p.name})
	if err != nil || len(sas.Items) != 0 {
		t.Errorf("service accounts left: %v %v", sas, err)
	}
}

// TestIntegrationStuckPromiseDelete: a failing promise delete pipeline
// blocks the deletion before any request is touched.
func TestIntegrationStuckPromiseDelete(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{nil}
	p.promiseDelete = [][]corev1.EnvVar{{fromConfigMap(EnvFail, "promise-delete-"+p.name, "fail")}}
	c.createConfigMap(platformNamespace, "promise-delete-"+p.name, map[string]string{"fail": "helm uninstall failed"})
	promise := c.install(p)
	if !slices.Contains(promise.GetFinalizers(), finalizerDeleteWorkflows) {
		t.Errorf("finalizers %v", promise.GetFinalizers())
	}
	c.create(p.gvr(), p.request("default", "survivor", "small"))
	c.waitFor("configured", p.gvr(), "default", "survivor", configured)

	c.delete(gvrPromise, "", p.name)
	promise = c.waitFor("DeleteWorkflowFailed", gvrPromise, "", p.name, func(o *unstructured.Unstructured) bool {
		return condIs(o, condDeleteWorkflowCompleted, "False", "DeleteWorkflowFailed")
	})
	if cond(promise, condDeleteWorkflowCompleted)["message"] != msgDeleteFailed {
		t.Errorf("condition %s", fmtCond(promise, condDeleteWorkflowCompleted))
	}
	if c.get(p.gvr(), "default", "survivor") == nil || c.get(gvrCRD, "", p.kind+"s."+testGroup) == nil {
		t.Error("the requests and the CRD must stay while the delete pipeline fails")
	}
	c.deleteConfigMap(platformNamespace, "promise-delete-"+p.name)
	c.patch(gvrPromise, "", p.name, `{"metadata":{"labels":{"kratix.io/manual-reconciliation":"true"}}}`)
	c.waitGone(gvrPromise, "", p.name)
	c.waitGone(p.gvr(), "default", "survivor")
}

func (c *cluster) list(gvr schema.GroupVersionResource, ns, selector string) []unstructured.Unstructured {
	c.t.Helper()
	list, err := c.res(gvr, ns).List(context.Background(), metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		c.t.Fatal(err)
	}
	return list.Items
}
