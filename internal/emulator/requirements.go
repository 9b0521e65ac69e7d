package emulator

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Requirement states (status.requiredPromises[].state).
const (
	reqInstalled          = "Requirement installed"
	reqNotInstalled       = "Requirement not installed"
	reqNotInstalledAtVers = "Requirement not installed at the specified version"
	reqNotAvailable       = "Requirement not available"
)

// evaluateRequirements checks spec.requiredPromises: each must exist, be
// Available and, when a version is given, be at that version. It returns
// status.requiredPromises and the RequirementsFulfilled condition, or a
// nil condition when the Promise requires nothing. Each required Promise
// that exists learns who requires it (status.requiredBy).
func (e *Emulator) evaluateRequirements(ctx context.Context, promise *unstructured.Unstructured) ([]any, *condition, error) {
	required := nestedSlice(promise.Object, "spec", "requiredPromises")
	if len(required) == 0 {
		return nil, nil, nil
	}
	c := &condition{Type: condRequirementsFulfilled, Status: "True", Reason: "RequirementsInstalled", Message: "Requirements fulfilled"}
	states := make([]any, 0, len(required))
	for _, item := range required {
		req, _ := item.(map[string]any)
		name, _ := req["name"].(string)
		version, _ := req["version"].(string)
		other, err := e.get(ctx, ref{gvr: gvrPromise, name: name})
		if err != nil {
			return nil, nil, err
		}
		state, reason := requirementState(other, version)
		if state != reqInstalled {
			c.Status, c.Reason, c.Message = "False", reason, "Requirements not fulfilled"
		}
		states = append(states, map[string]any{"name": name, "version": version, "state": state})
		if other != nil {
			if err := e.markRequiredBy(ctx, other, promise, version); err != nil {
				return nil, nil, err
			}
		}
	}
	return states, c, nil
}

func requirementState(required *unstructured.Unstructured, version string) (state, reason string) {
	if required == nil {
		return reqNotInstalled, "RequirementsNotInstalled"
	}
	status, _ := required.Object["status"].(map[string]any)
	if version != "" && status["version"] != version {
		return reqNotInstalledAtVers, "RequirementsNotInstalled"
	}
	if status["status"] != statusAvailable {
		return reqNotAvailable, "RequirementsNotAvailable"
	}
	return reqInstalled, ""
}

// markRequiredBy records on the required Promise that this one needs it.
func (e *Emulator) markRequiredBy(ctx context.Context, required, dependant *unstructured.Unstructured, version string) error {
	entry := map[string]any{
		"promise":         map[string]any{"name": dependant.GetName(), "version": dependant.GetLabels()[labelPromiseVersion]},
		"requiredVersion": version,
	}
	_, err := e.mutateStatus(ctx, refOf(gvrPromise, required), func(obj *unstructured.Unstructured) error {
		status := statusOf(obj)
		ensurePromiseCounters(status)
		list, _ := status["requiredBy"].([]any)
		for i, item := range list {
			if m, ok := item.(map[string]any); ok && nestedString(m, "promise", "name") == dependant.GetName() {
				list[i] = entry
				status["requiredBy"] = list
				return nil
			}
		}
		status["requiredBy"] = append(list, entry)
		return nil
	})
	return err
}

// ensureRevision keeps one PromiseRevision per version (§3.4), labelled as
// the latest, and takes that label (and status.latest) off the others.
func (e *Emulator) ensureRevision(ctx context.Context, promise *unstructured.Unstructured) error {
	version, ok := promise.GetLabels()[labelPromiseVersion]
	if !ok || version == "" {
		version = versionNotSet
	}
	name := revisionName(promise.GetName(), version)
	spec := map[string]any{
		"promiseRef":  map[string]any{"name": promise.GetName()},
		"promiseSpec": runtime.DeepCopyJSONValue(nestedMap(promise.Object, "spec")),
		"version":     version,
	}
	r := ref{gvr: gvrPromiseRevision, name: name}
	existing, err := e.get(ctx, r)
	if err != nil {
		return err
	}
	if existing == nil {
		rev := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "PromiseRevision",
			"metadata": map[string]any{"name": name}, "spec": spec,
		}}
		rev.SetLabels(map[string]string{labelPromiseName: promise.GetName(), labelLatestRevision: "true"})
		rev.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: promise.GetAPIVersion(), Kind: promise.GetKind(),
			Name: promise.GetName(), UID: promise.GetUID(), Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true)}})
		if _, err := e.client(r).Create(ctx, rev, metav1.CreateOptions{}); err != nil {
			return err
		}
	} else if !equality.Semantic.DeepEqual(existing.Object["spec"], spec) || !labelIsTrue(existing, labelLatestRevision) {
		if _, err := e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
			obj.Object["spec"] = spec
			setLabel(obj, labelLatestRevision, "true")
			return nil
		}); err != nil {
			return err
		}
	}
	if _, err := e.mutateStatus(ctx, r, func(obj *unstructured.Unstructured) error {
		statusOf(obj)["latest"] = true
		return nil
	}); err != nil {
		return err
	}
	return e.retireRevisions(ctx, promise.GetName(), name)
}

func (e *Emulator) retireRevisions(ctx context.Context, promise, latest string) error {
	list, err := e.dyn.Resource(gvrPromiseRevision).List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(map[string]string{labelPromiseName: promise, labelLatestRevision: "true"}).String(),
	})
	if err != nil {
		return err
	}
	for _, rev := range list.Items {
		if rev.GetName() == latest {
			continue
		}
		r := refOf(gvrPromiseRevision, &rev)
		if _, err := e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
			setLabel(obj, labelLatestRevision, "")
			return nil
		}); err != nil {
			return err
		}
		if _, err := e.mutateStatus(ctx, r, func(obj *unstructured.Unstructured) error {
			statusOf(obj)["latest"] = false
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}
