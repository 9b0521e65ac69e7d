package emulator

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// requestWork is a request's Work with one workload group whose selectors
// come from the given sources, as Kratix's work-creator writes it.
func requestWork(name string, selectors ...map[string]any) *unstructured.Unstructured {
	list := make([]any, len(selectors))
	for i, s := range selectors {
		list[i] = s
	}
	group := map[string]any{"id": md5Hex(defaultDirectory), "directory": defaultDirectory, "destinationSelectors": list,
		"workloads": []any{workload("out.yaml", "kind: ConfigMap\n")}}
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "Work",
		"metadata": map[string]any{"name": name, "namespace": "default"},
		"spec":     map[string]any{"promiseName": "emu-none", "resourceName": name, "workloadGroups": []any{group}},
	}}
	w.SetLabels(map[string]string{labelPromiseName: "emu-none", labelResourceName: name, labelWorkType: workflowResource})
	return w
}

func selectorFrom(source string, matchLabels map[string]any) map[string]any {
	return map[string]any{"source": source, "matchLabels": matchLabels}
}

// placementOf waits for the Work's one WorkPlacement and returns it.
func (c *cluster) placementOf(work string) *unstructured.Unstructured {
	c.t.Helper()
	var wps []unstructured.Unstructured
	c.waitFor("scheduled", gvrWork, "default", work, func(o *unstructured.Unstructured) bool {
		wps = c.list(gvrWorkPlacement, "default", labelWork+"="+work)
		return o != nil && condIs(o, condScheduleSucceeded, "True", "AllWorkplacementsScheduled") && len(wps) == 1
	})
	return &wps[0]
}

// TestIntegrationSchedulerPromiseSelectorsWin: when the Promise's and a
// workflow's selectors set the same key, the Work goes where the Promise's
// value points (Kratix: resolveDestinationSelectorsForWorkloadGroup).
func TestIntegrationSchedulerPromiseSelectorsWin(t *testing.T) {
	c := integration(t)
	env, store := "emu-"+randomHex(4), randomName("emu-store")
	c.create(gvrGitStateStore, gitStore(store, nil))
	t.Cleanup(func() { c.delete(gvrGitStateStore, "", store) })
	for _, tier := range []string{"dev", "prod"} {
		name := "emu-" + tier + "-" + env
		c.create(gvrDestination, destination(name, "GitStateStore", store, map[string]string{"env": env, "tier": tier}, nil))
		t.Cleanup(func() { c.delete(gvrDestination, "", name) })
		c.waitFor("Ready", gvrDestination, "", name, func(o *unstructured.Unstructured) bool { return condIs(o, condReady, "True", "") })
	}
	work := randomName("emu-work")
	c.create(gvrWork, requestWork(work,
		selectorFrom("resource-workflow", map[string]any{"tier": "dev"}),
		selectorFrom("promise", map[string]any{"env": env, "tier": "prod"})))
	t.Cleanup(func() { c.delete(gvrWork, "default", work) })
	if got := nestedString(c.placementOf(work).Object, "spec", "targetDestinationName"); got != "emu-prod-"+env {
		t.Fatalf("placed on %q, want the Destination the Promise's selectors match (emu-prod-%s)", got, env)
	}
}

// TestIntegrationSchedulerIgnoresDestinationReadiness: Kratix schedules to
// a matching Destination whether or not it is Ready
// (Scheduler.getDestinationsForWorkloadGroup); the WorkPlacement is written
// once the Destination's store can take it.
func TestIntegrationSchedulerIgnoresDestinationReadiness(t *testing.T) {
	c := integration(t)
	env, store, dest := "emu-"+randomHex(4), randomName("emu-store"), randomName("emu-dest")
	c.create(gvrDestination, destination(dest, "GitStateStore", store, map[string]string{"env": env}, nil))
	t.Cleanup(func() { c.delete(gvrDestination, "", dest); c.delete(gvrGitStateStore, "", store) })
	c.waitFor("StateStoreNotFound", gvrDestination, "", dest, func(o *unstructured.Unstructured) bool {
		return condIs(o, condReady, "False", "StateStoreNotFound")
	})
	work := randomName("emu-work")
	c.create(gvrWork, requestWork(work, selectorFrom("promise", map[string]any{"env": env})))
	t.Cleanup(func() { c.delete(gvrWork, "default", work) })
	wp := c.placementOf(work)
	if nestedString(wp.Object, "spec", "targetDestinationName") != dest || cond(wp, condWriteSucceeded) != nil || statusString(wp, "versionID") != "" {
		t.Fatalf("the placement on a Destination that is not Ready is written or elsewhere:\n%s", dump(wp))
	}

	c.create(gvrGitStateStore, gitStore(store, nil))
	c.waitFor("written", gvrWorkPlacement, "default", wp.GetName(), func(o *unstructured.Unstructured) bool {
		return condIs(o, condWriteSucceeded, "True", "WorkloadsWrittenToStateStore") && len(statusString(o, "versionID")) == 40
	})
}
