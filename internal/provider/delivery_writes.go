package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// requestWait decides, version by version, when a wait on a request is
// over. *kratix.RequestWatch is one; so is a wait for a condition.
type requestWait interface {
	Observe(obj *unstructured.Unstructured) kratix.Outcome
	// AwaitsWrites: the last Observe waits only for the request's
	// WorkPlacements to be written, which ObservePlacements tells it.
	AwaitsWrites() bool
	ObservePlacements(placements []unstructured.Unstructured, readable bool)
}

// writesPollInterval is how often followRequest reads the request's
// WorkPlacements while only their writes are awaited.
var writesPollInterval = time.Second

// followRequest watches the request, calling seen with every version and
// the outcome wait gives it, until that outcome is not Waiting. While wait
// awaits only the writes of the request's WorkPlacements (a change to them
// changes nothing on the request), it reads those and the request every
// writesPollInterval instead; a failed read is retried. It returns the
// watch's error, or ctx's when ctx ends while it reads.
func followRequest(ctx context.Context, client *kube.Client, gvk schema.GroupVersionKind, ns, name string, wait requestWait,
	seen func(obj *unstructured.Unstructured, out kratix.Outcome)) error {
	for {
		_, err := client.WaitFor(ctx, gvk, ns, name, func(obj *unstructured.Unstructured) (bool, error) {
			out := wait.Observe(obj)
			seen(obj, out)
			return out.State != kratix.Waiting || wait.AwaitsWrites(), nil
		})
		if err != nil || !wait.AwaitsWrites() {
			return err
		}
		settled, err := followWrites(ctx, client, gvk, ns, name, wait, seen)
		if err != nil || settled {
			return err
		}
	}
}

// followWrites reads the request and its WorkPlacements until wait no
// longer awaits their writes; settled is false when the request went back
// to waiting for something else (the caller watches it again).
func followWrites(ctx context.Context, client *kube.Client, gvk schema.GroupVersionKind, ns, name string, wait requestWait,
	seen func(obj *unstructured.Unstructured, out kratix.Outcome)) (settled bool, err error) {
	for {
		obj, err := client.Get(ctx, gvk, ns, name)
		if isNotFound(err) {
			obj, err = nil, nil
		}
		var placements []unstructured.Unstructured
		readable := true
		if err == nil && obj != nil {
			placements, readable, err = requestPlacements(ctx, client, obj)
		}
		if err == nil {
			wait.ObservePlacements(placements, readable)
			out := wait.Observe(obj)
			seen(obj, out)
			if !wait.AwaitsWrites() {
				return out.State != kratix.Waiting, nil
			}
		} else if ctx.Err() == nil {
			tflog.Debug(ctx, "cannot read the request's WorkPlacements; trying again", map[string]any{"request": ns + "/" + name, "error": err.Error()})
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(writesPollInterval):
		}
	}
}

// requestPlacements lists the WorkPlacements of the request's Works, in
// the namespace where Kratix writes those (kratix.RequestWorks). readable
// is false when the credentials may not list Works or WorkPlacements.
func requestPlacements(ctx context.Context, client *kube.Client, req *unstructured.Unstructured) (placements []unstructured.Unstructured, readable bool, err error) {
	var promise *unstructured.Unstructured
	if name := req.GetLabels()[kratix.LabelPromiseName]; name != "" {
		if promise, err = client.Get(ctx, kratix.PromiseGVK, "", name); err != nil {
			return nil, true, err
		}
	}
	ns, selector := kratix.RequestWorks(promise, req)
	works, err := client.ListMetadata(ctx, kratix.WorkGVK, ns, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if kube.IsForbidden(err) {
		return nil, false, nil
	}
	if err != nil || len(works.Items) == 0 {
		return nil, true, err
	}
	names := make([]string, 0, len(works.Items))
	for _, w := range works.Items {
		names = append(names, w.Name)
	}
	ofWorks, err := labels.NewRequirement(kratix.LabelWork, selection.In, names)
	if err != nil {
		return nil, true, err
	}
	list, err := client.List(ctx, kratix.WorkPlacementGVK, ns, metav1.ListOptions{LabelSelector: labels.NewSelector().Add(*ofWorks).String()})
	if kube.IsForbidden(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return list.Items, true, nil
}
