package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
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
	// CreateOnly refuses an object that already exists (the error satisfies
	// IsAlreadyExists) instead of applying over it: creating must never take
	// over an object that someone else made. The check is a read just before
	// the apply; a retry of the apply itself after a lost answer is not
	// refused.
	CreateOnly bool
	// Strict rejects fields the kind's schema does not declare, instead of
	// the API server dropping them silently (fieldValidation=Strict).
	Strict bool
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
	defer c.wrote(gvk, opts.DryRun)
	ri, op, err := c.objectResource(ctx, "patch", gvk, obj.GetNamespace(), name)
	if err != nil {
		return nil, err
	}
	op.apply = true
	body, err := json.Marshal(applyBody(obj, op).Object)
	if err != nil {
		return nil, fmt.Errorf("apply: encoding the %s object: %w", gvk.Kind, err)
	}
	patchOpts := patchOptions(opts)
	var subresources []string
	if opts.Subresource != "" {
		subresources = []string{opts.Subresource}
	}
	if opts.CreateOnly {
		if err := c.RefuseExisting(ctx, obj); err != nil {
			return nil, err
		}
	}
	var out *unstructured.Unstructured
	err = c.retry.do(ctx, "apply", func(ctx context.Context) error {
		var err error
		out, err = ri.Patch(ctx, name, types.ApplyPatchType, body, patchOpts, subresources...)
		return err
	})
	return out, translate(err, op)
}

// patchOptions are the query parameters of an apply patch: what client-go's
// Apply sends, plus the field validation it cannot express.
func patchOptions(opts ApplyOptions) metav1.PatchOptions {
	out := metav1.PatchOptions{FieldManager: opts.FieldManager, Force: &opts.Force}
	if out.FieldManager == "" {
		out.FieldManager = DefaultFieldManager
	}
	if opts.DryRun {
		out.DryRun = []string{metav1.DryRunAll}
	}
	if opts.Strict {
		out.FieldValidation = metav1.FieldValidationStrict
	}
	return out
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

// RefuseExisting returns an AlreadyExists error when obj exists, and nil
// when the server confirms it does not.
func (c *Client) RefuseExisting(ctx context.Context, obj *unstructured.Unstructured) error {
	existing, err := c.Get(ctx, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
	switch {
	case IsNotFound(err):
		return nil
	case err != nil:
		return err
	}
	gr := schema.GroupResource{Group: obj.GroupVersionKind().Group, Resource: obj.GetKind()}
	return &APIError{
		Verb: "create", GVK: obj.GroupVersionKind(), Namespace: existing.GetNamespace(), Name: existing.GetName(),
		Err:     apierrors.NewAlreadyExists(gr, existing.GetName()),
		message: fmt.Sprintf("%s %s already exists (uid %s, created %s)", obj.GetKind(), describeName(existing.GetNamespace(), existing.GetName()), existing.GetUID(), existing.GetCreationTimestamp().UTC().Format("2006-01-02T15:04:05Z")),
	}
}

func describeName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
