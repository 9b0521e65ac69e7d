package emulator

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
)

// ref names one object of a known resource.
type ref struct {
	gvr       schema.GroupVersionResource
	namespace string
	name      string
}

func refOf(gvr schema.GroupVersionResource, obj *unstructured.Unstructured) ref {
	return ref{gvr: gvr, namespace: obj.GetNamespace(), name: obj.GetName()}
}

func (e *Emulator) client(r ref) dynamic.ResourceInterface {
	if r.namespace == "" {
		return e.dyn.Resource(r.gvr)
	}
	return e.dyn.Resource(r.gvr).Namespace(r.namespace)
}

// get reads an object from the API server, not from an informer cache:
// decisions such as "is there already a Job for this pipeline" must not be
// taken on a cache that has not yet seen the emulator's own last write.
// A missing object is (nil, nil).
func (e *Emulator) get(ctx context.Context, r ref) (*unstructured.Unstructured, error) {
	obj, err := e.client(r).Get(ctx, r.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return obj, err
}

// statusOf returns the object's status map, creating it if needed.
func statusOf(obj *unstructured.Unstructured) map[string]any {
	status, ok := obj.Object["status"].(map[string]any)
	if !ok {
		status = map[string]any{}
		obj.Object["status"] = status
	}
	return status
}

// mutateStatus applies fn to a fresh copy of the object and writes the
// status subresource when fn changed it, retrying on conflicts with a new
// read each time. fn must be safe to run more than once. It returns the
// object as last seen (nil when it is gone).
func (e *Emulator) mutateStatus(ctx context.Context, r ref, fn func(obj *unstructured.Unstructured) error) (*unstructured.Unstructured, error) {
	var out *unstructured.Unstructured
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj, err := e.get(ctx, r)
		if err != nil || obj == nil {
			out = obj
			return err
		}
		before := obj.DeepCopy()
		if err := fn(obj); err != nil {
			return err
		}
		if equality.Semantic.DeepEqual(before.Object["status"], obj.Object["status"]) {
			out = obj
			return nil
		}
		out, err = e.client(r).UpdateStatus(ctx, obj, metav1.UpdateOptions{})
		return ignoreNotFound(err)
	})
	return out, err
}

// mutateObject is mutateStatus for metadata and spec (labels, finalizers).
func (e *Emulator) mutateObject(ctx context.Context, r ref, fn func(obj *unstructured.Unstructured) error) (*unstructured.Unstructured, error) {
	var out *unstructured.Unstructured
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj, err := e.get(ctx, r)
		if err != nil || obj == nil {
			out = obj
			return err
		}
		before := obj.DeepCopy()
		if err := fn(obj); err != nil {
			return err
		}
		if equality.Semantic.DeepEqual(before.Object, obj.Object) {
			out = obj
			return nil
		}
		out, err = e.client(r).Update(ctx, obj, metav1.UpdateOptions{})
		return ignoreNotFound(err)
	})
	return out, err
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// addFinalizers appends the missing finalizers in the given order.
func addFinalizers(obj *unstructured.Unstructured, finalizers ...string) {
	current := obj.GetFinalizers()
	for _, f := range finalizers {
		if !slices.Contains(current, f) {
			current = append(current, f)
		}
	}
	obj.SetFinalizers(current)
}

func removeFinalizer(obj *unstructured.Unstructured, finalizer string) {
	obj.SetFinalizers(slices.DeleteFunc(obj.GetFinalizers(), func(f string) bool { return f == finalizer }))
}

func hasFinalizer(obj *unstructured.Unstructured, finalizer string) bool {
	return slices.Contains(obj.GetFinalizers(), finalizer)
}

// dropFinalizer removes one finalizer from the object in the API.
func (e *Emulator) dropFinalizer(ctx context.Context, r ref, finalizer string) error {
	_, err := e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
		removeFinalizer(obj, finalizer)
		return nil
	})
	return err
}

// setLabel sets (value != "") or removes (value == "") one label.
func setLabel(obj *unstructured.Unstructured, key, value string) {
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	if value == "" {
		delete(labels, key)
	} else {
		labels[key] = value
	}
	obj.SetLabels(labels)
}

func labelIsTrue(obj *unstructured.Unstructured, key string) bool {
	return obj.GetLabels()[key] == "true"
}

// nestedString reads a string field, "" when absent.
func nestedString(obj map[string]any, fields ...string) string {
	s, _, _ := unstructured.NestedString(obj, fields...)
	return s
}

func nestedMap(obj map[string]any, fields ...string) map[string]any {
	m, _, _ := unstructured.NestedMap(obj, fields...)
	return m
}

func nestedSlice(obj map[string]any, fields ...string) []any {
	s, _, _ := unstructured.NestedSlice(obj, fields...)
	return s
}

// deleteAll deletes every object of a resource matching the selector in a
// namespace ("" means all namespaces) and reports how many still exist.
func (e *Emulator) deleteAll(ctx context.Context, gvr schema.GroupVersionResource, namespace, selector string) (int, error) {
	var client dynamic.ResourceInterface = e.dyn.Resource(gvr)
	if namespace != "" {
		client = e.dyn.Resource(gvr).Namespace(namespace)
	}
	list, err := client.List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return 0, err
	}
	background := metav1.DeletePropagationBackground
	for _, item := range list.Items {
		if item.GetDeletionTimestamp() != nil {
			continue
		}
		err := e.client(refOf(gvr, &item)).Delete(ctx, item.GetName(), metav1.DeleteOptions{PropagationPolicy: &background})
		if ignoreNotFound(err) != nil {
			return 0, err
		}
	}
	return len(list.Items), nil
}
