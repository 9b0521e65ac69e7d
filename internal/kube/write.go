package kube

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// WriteOptions controls a Create, Update or MergePatch.
type WriteOptions struct {
	FieldManager string // empty means DefaultFieldManager
	DryRun       bool   // validate and default on the server, persist nothing
}

func (o WriteOptions) fieldManager() string {
	if o.FieldManager == "" {
		return DefaultFieldManager
	}
	return o.FieldManager
}

func (o WriteOptions) dryRun() []string {
	if o.DryRun {
		return []string{metav1.DryRunAll}
	}
	return nil
}

// Create creates obj and returns it as the server stored it. An object that
// already exists gives an error for which IsAlreadyExists is true; so does a
// retry after a create whose answer was lost, which the caller must treat
// like any other existing object.
func (c *Client) Create(ctx context.Context, obj *unstructured.Unstructured, opts WriteOptions) (*unstructured.Unstructured, error) {
	if err := validateApplyObject(obj); err != nil {
		return nil, err
	}
	defer c.wrote(obj.GroupVersionKind(), opts.DryRun)
	ri, op, err := c.objectResource(ctx, "create", obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
	if err != nil {
		return nil, err
	}
	body := applyBody(obj, op)
	var out *unstructured.Unstructured
	err = c.retry.do(ctx, "create", func(ctx context.Context) error {
		var err error
		out, err = ri.Create(ctx, body, metav1.CreateOptions{FieldManager: opts.fieldManager(), DryRun: opts.dryRun()})
		return err
	})
	return out, translate(err, op)
}

// Update replaces obj. With metadata.resourceVersion set it succeeds only if
// the object has not changed since it was read (IsConflict otherwise), which
// makes read-check-write sequences safe; a retry after an update whose
// answer was lost also gives IsConflict.
func (c *Client) Update(ctx context.Context, obj *unstructured.Unstructured, opts WriteOptions) (*unstructured.Unstructured, error) {
	if err := validateApplyObject(obj); err != nil {
		return nil, err
	}
	defer c.wrote(obj.GroupVersionKind(), opts.DryRun)
	ri, op, err := c.objectResource(ctx, "update", obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
	if err != nil {
		return nil, err
	}
	body := applyBody(obj, op)
	var out *unstructured.Unstructured
	err = c.retry.do(ctx, "update", func(ctx context.Context) error {
		var err error
		out, err = ri.Update(ctx, body, metav1.UpdateOptions{FieldManager: opts.fieldManager(), DryRun: opts.dryRun()})
		return err
	})
	return out, translate(err, op)
}

// MergePatch sends a JSON merge patch (RFC 7386) to an existing object. It
// never creates one: a missing object gives IsNotFound. The same patch
// twice has the same effect as once, so it is retried.
func (c *Client) MergePatch(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string, patch []byte, opts WriteOptions) (*unstructured.Unstructured, error) {
	defer c.wrote(gvk, opts.DryRun)
	ri, op, err := c.objectResource(ctx, "patch", gvk, namespace, name)
	if err != nil {
		return nil, err
	}
	var out *unstructured.Unstructured
	err = c.retry.do(ctx, "patch", func(ctx context.Context) error {
		var err error
		out, err = ri.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: opts.fieldManager(), DryRun: opts.dryRun()})
		return err
	})
	return out, translate(err, op)
}
