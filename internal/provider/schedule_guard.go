package provider

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// How often a wait for delivery checks whether Kratix can schedule the
// request's Works, and how long their Destinations may be missing before it
// fails. The wait on the request alone cannot see this: a Work's status
// changes nothing on the request.
var (
	scheduleCheckInterval = 2 * time.Second
	scheduleGrace         = 5 * time.Second
)

// scheduleGuard runs a request's wait and, while that wait is at the
// delivery stage, lists the request's Works and the Destinations every
// scheduleCheckInterval. It stops the wait when Kratix reports a workload
// group unscheduled and no Destination matches its selectors.
type scheduleGuard struct {
	client    *kube.Client
	namespace string
	// delivering is the request as last seen while its wait was for
	// delivery; nil at any other stage.
	delivering atomic.Pointer[unstructured.Unstructured]
}

func newScheduleGuard(client *kube.Client, namespace string) *scheduleGuard {
	return &scheduleGuard{client: client, namespace: namespace}
}

// observe records where the wait stands after each version of the request.
func (g *scheduleGuard) observe(obj *unstructured.Unstructured, out kratix.Outcome) {
	if out.Delivering && obj != nil {
		g.delivering.Store(obj)
		return
	}
	g.delivering.Store(nil)
}

// run calls wait with a context the guard cancels when the Works cannot be
// scheduled; it then returns what is wrong and what to do, else "".
func (g *scheduleGuard) run(ctx context.Context, wait func(context.Context)) string {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	found := make(chan string, 1)
	go func() {
		ticker := time.NewTicker(scheduleCheckInterval)
		defer ticker.Stop()
		watch := kratix.ScheduleWatch{Grace: scheduleGrace}
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-ticker.C:
				if problem := g.check(ctx, &watch, now); problem != "" {
					found <- problem
					cancel()
					return
				}
			}
		}
	}()
	wait(ctx)
	cancel()
	select {
	case problem := <-found:
		return problem
	default:
		return ""
	}
}

// check lists the Works and Destinations once, if the wait is for delivery.
// A failed list only skips this check: the wait goes on.
func (g *scheduleGuard) check(ctx context.Context, watch *kratix.ScheduleWatch, now time.Time) string {
	req := g.delivering.Load()
	if req == nil {
		return ""
	}
	selector := map[string]string{kratix.LabelResourceName: req.GetName()}
	if promise := req.GetLabels()[kratix.LabelPromiseName]; promise != "" {
		selector = kratix.WorkLabels(promise, req.GetName())
	}
	works, err := g.client.List(ctx, kratix.WorkGVK, g.namespace, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if err != nil {
		tflog.Debug(ctx, "cannot list the request's Works to check their scheduling", map[string]any{"error": err.Error()})
		return ""
	}
	destinations, err := g.client.List(ctx, kratix.DestinationGVK, "", metav1.ListOptions{})
	if err != nil {
		tflog.Debug(ctx, "cannot list Destinations to check the Works' scheduling", map[string]any{"error": err.Error()})
		return ""
	}
	stuck := watch.Observe(now, works.Items, destinations.Items)
	if len(stuck) == 0 {
		return ""
	}
	return kratix.DescribeUnscheduled(stuck, destinations.Items)
}
