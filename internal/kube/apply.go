package kube

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// DefaultFieldManager is the server-side apply field manager used when
// ApplyOptions.FieldManager is empty.
const DefaultFieldManager = "terraform-provider-kratix"

// ApplyOptions controls a server-side apply.
type ApplyOptions struct {
	FieldManager string // empty means DefaultFieldManager
	Force        bool   // take ownership of fields other managers own (force_conflicts)
	DryRun       bool   // validate and default on the server, persist nothing
	Subresource  string // e.g. "status"; empty applies the object itself
}

// Apply sends obj as a server-side apply patch (application/apply-patch+yaml)
// and returns the object as the server stored it. The patch is idempotent, so
// retrying it after a transient failure is safe. A field conflict with
// another manager gives an error naming the fields and their owners.
func (c *Client) Apply(ctx context.Context, obj *unstructured.Unstructured, opts ApplyOptions) (*unstructured.Unstructured, error) {
	if err := validateApplyObject(obj); err != nil {
		return nil, err
	}
	gvk, name := obj.GroupVersionKind(), obj.GetName()
	ri, op, err := c.objectResource(ctx, "patch", gvk, obj.GetNamespace(), name)
	if err != nil {
		return nil, err
	}
	op.apply = true
	body := applyBody(obj, op)
	applyOpts := metav1.ApplyOptions{FieldManager: opts.FieldManager, Force: opts.Force}
	if applyOpts.FieldManager == "" {
		applyOpts.FieldManager = DefaultFieldManager
	}
	if opts.DryRun {
		applyOpts.DryRun = []string{metav1.DryRunAll}
	}
	var subresources []string
	if opts.Subresource != "" {
		subresources = []string{opts.Subresource}
	}
	var out *unstructured.Unstructured
	err = c.retry.do(ctx, "apply", func(ctx context.Context) error {
		var err error
		out, err = ri.Apply(ctx, name, body, applyOpts, subresources...)
		return err
	})
	return out, translate(err, op)
}

func validateApplyObject(obj *unstructured.Unstructured) error {
	if obj == nil {
		return errors.New("apply: no object given")
	}
	gvk := obj.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return fmt.Errorf("apply: the object needs apiVersion and kind (got apiVersion %q, kind %q)", obj.GetAPIVersion(), gvk.Kind)
	}
	if obj.GetName() == "" {
		return fmt.Errorf("apply: the %s object needs metadata.name (server-side apply cannot use generateName)", gvk.Kind)
	}
	return nil
}

// applyBody prepares what is sent: managedFields must be absent from an
// apply patch, and the namespace must agree with the request path (empty for
// cluster-scoped kinds, "default" when a namespaced object names none).
func applyBody(obj *unstructured.Unstructured, op operation) *unstructured.Unstructured {
	body := obj.DeepCopy()
	body.SetManagedFields(nil)
	body.SetNamespace(op.namespace)
	return body
}
