package emulator

import (
	"context"
	"crypto/sha1" //nolint:gosec // a fake git commit id, not security
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// syncWork is a simplified Kratix scheduler: each workload group of a Work
// goes to the Destinations its selectors match (one of them for a
// request's Work, all of them for a Promise's), through one WorkPlacement
// per Destination, "written" as soon as the Destination is Ready.
// Misplacement (a Destination that stops matching later) is not emulated.
func (e *Emulator) syncWork(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	r := ref{gvr: gvrWork, namespace: ns, name: name}
	work, err := e.get(ctx, r)
	if err != nil || work == nil {
		return 0, err
	}
	if work.GetDeletionTimestamp() != nil {
		return e.deleteWork(ctx, work)
	}
	if !hasFinalizer(work, finalizerWorkCleanup) {
		if work, err = e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
			addFinalizers(obj, finalizerWorkCleanup)
			return nil
		}); err != nil || work == nil {
			return 0, err
		}
	}
	groups := nestedSlice(work.Object, "spec", "workloadGroups")
	var unscheduled []string
	keep := map[string]bool{}
	for _, item := range groups {
		group, _ := item.(map[string]any)
		placed, err := e.scheduleGroup(ctx, work, group)
		if err != nil {
			return 0, err
		}
		if len(placed) == 0 {
			id, _ := group["id"].(string)
			unscheduled = append(unscheduled, id)
		}
		for _, n := range placed {
			keep[n] = true
		}
	}
	if err := e.deleteDanglingPlacements(ctx, work, keep); err != nil {
		return 0, err
	}
	_, err = e.mutateStatus(ctx, r, func(obj *unstructured.Unstructured) error {
		setWorkStatus(statusOf(obj), len(groups), unscheduled)
		return nil
	})
	return 0, err
}

// scheduleGroup places one workload group and returns its placements.
// A request's group keeps the placement it already has.
func (e *Emulator) scheduleGroup(ctx context.Context, work *unstructured.Unstructured, group map[string]any) ([]string, error) {
	id, _ := group["id"].(string)
	existing, err := e.dyn.Resource(gvrWorkPlacement).Namespace(work.GetNamespace()).List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(map[string]string{labelWork: work.GetName(), labelWorkloadGroupID: id}).String(),
	})
	if err != nil {
		return nil, err
	}
	targets := e.matchingDestinations(groupSelectors(group))
	isRequest := nestedString(work.Object, "spec", "resourceName") != ""
	if isRequest {
		if len(existing.Items) > 0 {
			targets = nil
			for _, wp := range existing.Items {
				targets = append(targets, nestedString(wp.Object, "spec", "targetDestinationName"))
			}
		} else if len(targets) > 1 {
			targets = targets[:1]
		}
	}
	var placed []string
	for _, dest := range targets {
		name, err := e.applyWorkPlacement(ctx, work, group, dest)
		if err != nil {
			return nil, err
		}
		placed = append(placed, name)
	}
	return placed, nil
}

// groupSelectors merges a group's selectors. On a key that several sources
// set, the Promise's own destinationSelectors win over the promise
// workflow's, which win over the resource workflow's: a pipeline can narrow
// where its output goes but not move it off the Promise's Destinations
// (Kratix: resolveDestinationSelectorsForWorkloadGroup and
// sortWorkloadGroupDestinationsByLowestPriority in
// internal/controller/scheduler.go).
func groupSelectors(group map[string]any) map[string]string {
	rank := map[string]int{"resource-workflow": 0, "promise-workflow": 1, "promise": 2}
	list := nestedSlice(group, "destinationSelectors")
	sort.SliceStable(list, func(i, j int) bool {
		si, _ := list[i].(map[string]any)
		sj, _ := list[j].(map[string]any)
		return rank[fmt.Sprint(si["source"])] < rank[fmt.Sprint(sj["source"])]
	})
	out := map[string]string{}
	for _, item := range list {
		m, _ := item.(map[string]any)
		for k, v := range nestedMap(m, "matchLabels") {
			out[k], _ = v.(string)
		}
	}
	return out
}

// matchingDestinations lists, by name, the Destinations that match the
// selectors, Ready or not, as Kratix does
// (Scheduler.getDestinationsForWorkloadGroup in
// internal/controller/scheduler.go): a Destination that is not Ready yet
// gets its placements written once it is. With no selectors, a
// strictMatchLabels Destination that has labels is left out.
func (e *Emulator) matchingDestinations(selectors map[string]string) []string {
	sel := labels.SelectorFromSet(selectors)
	var out []string
	for _, d := range e.lister(gvrDestination) {
		if d.GetDeletionTimestamp() != nil {
			continue
		}
		strict, _, _ := unstructured.NestedBool(d.Object, "spec", "strictMatchLabels")
		if len(selectors) == 0 && strict && len(d.GetLabels()) > 0 {
			continue
		}
		if sel.Matches(labels.Set(d.GetLabels())) {
			out = append(out, d.GetName())
		}
	}
	sort.Strings(out)
	return out
}

// applyWorkPlacement creates or updates one WorkPlacement and marks it
// written to its Destination's state store.
func (e *Emulator) applyWorkPlacement(ctx context.Context, work *unstructured.Unstructured, group map[string]any, dest string) (string, error) {
	id, _ := group["id"].(string)
	name := workPlacementName(work.GetName(), dest, id)
	r := ref{gvr: gvrWorkPlacement, namespace: work.GetNamespace(), name: name}
	spec := map[string]any{
		"targetDestinationName": dest, "workloads": group["workloads"], "id": id,
		"promiseName": nestedString(work.Object, "spec", "promiseName"), "resourceName": nestedString(work.Object, "spec", "resourceName"),
	}
	wpLabels := map[string]string{labelWork: work.GetName(), labelWorkloadGroupID: id, labelTargetDestination: dest}
	if p := work.GetLabels()[labelPipelineName]; p != "" {
		wpLabels[labelPipelineName] = p
	}
	existing, err := e.get(ctx, r)
	if err != nil {
		return "", err
	}
	if existing == nil {
		wp := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "WorkPlacement",
			"metadata": map[string]any{"name": name, "namespace": work.GetNamespace()}, "spec": spec,
		}}
		wp.SetLabels(wpLabels)
		wp.SetAnnotations(work.GetAnnotations())
		wp.SetFinalizers([]string{finalizerWPRepoCleanup, finalizerWPDotFilesCleanup})
		wp.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: work.GetAPIVersion(), Kind: work.GetKind(),
			Name: work.GetName(), UID: work.GetUID(), Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true)}})
		if _, err := e.client(r).Create(ctx, wp, metav1.CreateOptions{}); err != nil {
			return "", err
		}
	} else if _, err := e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
		obj.Object["spec"] = spec
		return nil
	}); err != nil {
		return "", err
	}
	target := e.destinationNamed(dest)
	_, err = e.mutateStatus(ctx, r, func(obj *unstructured.Unstructured) error {
		status := statusOf(obj)
		setCondition(status, condition{Type: condScheduleSucceeded, Status: "True", Reason: "ScheduledToDestination", Message: "Scheduled to correct Destination"}, onStatusChange)
		if !destinationReady(target) {
			// Kratix's scheduler marks the placement Ready before any write;
			// its WorkPlacement controller retries the write until the
			// Destination's store can take it.
			setCondition(status, condition{Type: condReady, Status: "True", Reason: "Ready", Message: "Ready"}, onStatusChange)
			return nil
		}
		markWritten(status, target, spec)
		return nil
	})
	return name, err
}

// markWritten records a placement's write to its Destination's store.
func markWritten(status map[string]any, dest *unstructured.Unstructured, spec map[string]any) {
	versionID := ""
	if nestedString(dest.Object, "spec", "stateStoreRef", "kind") == "GitStateStore" {
		versionID = fakeCommit(spec)
	}
	status["versionID"] = versionID
	setCondition(status, condition{Type: condWriteSucceeded, Status: "True", Reason: "WorkloadsWrittenToStateStore", Message: "Workloads written to State Store"}, onStatusChange)
	setCondition(status, condition{Type: condReady, Status: "True", Reason: "WorkloadsWrittenToTargetDestination", Message: "Ready"}, onStatusChange)
}

// destinationNamed is the Destination from the cache; nil when it is gone.
func (e *Emulator) destinationNamed(name string) *unstructured.Unstructured {
	for _, d := range e.lister(gvrDestination) {
		if d.GetName() == name {
			return d
		}
	}
	return nil
}

func destinationReady(d *unstructured.Unstructured) bool {
	if d == nil {
		return false
	}
	status, _ := d.Object["status"].(map[string]any)
	return conditionIs(status, condReady, "True")
}

// fakeCommit stands in for the git commit a write would produce.
func fakeCommit(spec map[string]any) string {
	data, _ := json.Marshal(spec)
	sum := sha1.Sum(data) //nolint:gosec // see import
	return hex.EncodeToString(sum[:])
}

// setWorkStatus writes the Work's counters and its ScheduleSucceeded and
// Ready conditions (Ready's message is what requests and Promises read).
func setWorkStatus(status map[string]any, groups int, unscheduled []string) {
	status["workPlacements"] = int64(groups)
	status["workPlacementsCreated"] = int64(groups - len(unscheduled))
	if len(unscheduled) > 0 {
		setCondition(status, condition{Type: condScheduleSucceeded, Status: "False", Reason: "UnscheduledWorkloads",
			Message: fmt.Sprintf("No matching destination found for workloadGroups: [%s]", strings.Join(unscheduled, ","))}, onStatusChange)
		setCondition(status, condition{Type: condReady, Status: "False", Reason: "UnscheduledWorkloads", Message: msgPending}, onStatusChange)
		return
	}
	setCondition(status, condition{Type: condScheduleSucceeded, Status: "True", Reason: "AllWorkplacementsScheduled",
		Message: "All workplacements scheduled successfully"}, onStatusChange)
	setCondition(status, condition{Type: condReady, Status: "True", Reason: "AllWorkplacementsScheduled", Message: "Ready"}, onStatusChange)
}

func (e *Emulator) deleteDanglingPlacements(ctx context.Context, work *unstructured.Unstructured, keep map[string]bool) error {
	list, err := e.dyn.Resource(gvrWorkPlacement).Namespace(work.GetNamespace()).List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(map[string]string{labelWork: work.GetName()}).String(),
	})
	if err != nil {
		return err
	}
	for _, wp := range list.Items {
		if !keep[wp.GetName()] && wp.GetDeletionTimestamp() == nil {
			if err := ignoreNotFound(e.client(refOf(gvrWorkPlacement, &wp)).Delete(ctx, wp.GetName(), metav1.DeleteOptions{})); err != nil {
				return err
			}
		}
	}
	return nil
}

// deleteWork handles kratix.io/work-cleanup: the Work's WorkPlacements go
// first (removing its files from the state stores), then the finalizer.
func (e *Emulator) deleteWork(ctx context.Context, work *unstructured.Unstructured) (time.Duration, error) {
	if !hasFinalizer(work, finalizerWorkCleanup) {
		return 0, nil
	}
	left, err := e.deleteAll(ctx, gvrWorkPlacement, work.GetNamespace(), labels.SelectorFromSet(map[string]string{labelWork: work.GetName()}).String())
	if err != nil {
		return 0, err
	}
	if left > 0 {
		return 200 * time.Millisecond, nil
	}
	return 0, e.dropFinalizer(ctx, refOf(gvrWork, work), finalizerWorkCleanup)
}

// syncWorkPlacement removes a deleted WorkPlacement's finalizers: its files
// are "removed" from the state store at once.
func (e *Emulator) syncWorkPlacement(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	r := ref{gvr: gvrWorkPlacement, namespace: ns, name: name}
	wp, err := e.get(ctx, r)
	if err != nil || wp == nil || wp.GetDeletionTimestamp() == nil {
		return 0, err
	}
	_, err = e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
		removeFinalizer(obj, finalizerWPRepoCleanup)
		removeFinalizer(obj, finalizerWPDotFilesCleanup)
		return nil
	})
	return 0, err
}
