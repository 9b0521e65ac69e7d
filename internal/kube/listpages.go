package kube

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// ListPageSize is how many objects ListPages asks for per request when the
// caller sets no limit: what kubectl and client-go's pager use.
const ListPageSize = 500

// ListPages lists gvk (an empty namespace lists all namespaces) one page at
// a time, opts.Limit objects per page (ListPageSize when zero), and hands
// each page to page in the server's order (by namespace, then name) until
// page returns false or the list ends. A caller that needs only the first
// few objects stops reading there, and a large kind is never held in memory
// whole.
//
// A listing that outlives the API server's snapshot gets 410 Expired on its
// next page; it then continues from the next object in a newer snapshot
// with the token the server offers, as kubectl does, so no object is
// handed over twice. Without such a token the error says what happened.
func (c *Client) ListPages(ctx context.Context, gvk schema.GroupVersionKind, namespace string, opts metav1.ListOptions, page func(items []unstructured.Unstructured) bool) error {
	ri, op, err := c.resource(ctx, "list", gvk, namespace, "")
	if err != nil {
		return err
	}
	return c.listPagesOn(ctx, ri, op, gvk, opts, page)
}

// listPagesOn is ListPages on a resolved resource.
func (c *Client) listPagesOn(ctx context.Context, ri dynamic.ResourceInterface, op operation, gvk schema.GroupVersionKind, opts metav1.ListOptions, page func(items []unstructured.Unstructured) bool) error {
	if opts.Limit <= 0 {
		opts.Limit = ListPageSize
	}
	for n := 1; ; n++ {
		var list *unstructured.UnstructuredList
		err := c.retry.do(ctx, "list", func(ctx context.Context) error {
			var err error
			list, err = ri.List(ctx, opts)
			return err
		})
		if token, ok := expiredContinue(err, opts.Continue); ok {
			warn(ctx, c.log, "list snapshot expired between pages; continuing from a newer one",
				map[string]any{"kind": gvk.Kind, "apiVersion": gvk.GroupVersion().String(), "page": n})
			opts.Continue = token
			continue
		}
		if err != nil {
			return translate(pageError(err, opts.Continue, n), op)
		}
		if !page(list.Items) || list.GetContinue() == "" {
			return nil
		}
		opts.Continue = list.GetContinue()
	}
}

// expiredContinue returns the token to continue an expired paged listing
// with, if the server offered one (it does when the snapshot was compacted).
func expiredContinue(err error, continued string) (string, bool) {
	var status apierrors.APIStatus
	if continued == "" || !isGone(err) || !errors.As(err, &status) {
		return "", false
	}
	token := status.Status().Continue
	return token, token != ""
}

// pageError explains a 410 on a later page, which otherwise reads like a
// failure of the whole kind.
func pageError(err error, continued string, n int) error {
	if continued == "" || !isGone(err) {
		return err
	}
	return fmt.Errorf("page %d of the listing expired before it was read (the API server keeps a listing's "+
		"snapshot for a few minutes) and the server offered no way to continue; run the listing again, "+
		"or narrow it with labels or a namespace: %w", n, err)
}
