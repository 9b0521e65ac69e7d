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
	client *kube.Client
	// delivering is the request as last seen while its wait was for
	// delivery; nil at any other stage.
	delivering atomic.Pointer[unstructured.Unstructured]
	// worksLocated is set, with worksNamespace and worksSelector, once the
	// Promise said where the Works are; only the checking goroutine uses
	// them.
	worksLocated   bool
	worksNamespace string
	worksSelector  map[string]string
}

func newScheduleGuard(client *kube.Client) *scheduleGuard {
	return &scheduleGuard{client: client}
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
	if !g.locateWorks(ctx, req) {
		return ""
	}
	works, err := g.client.List(ctx, kratix.WorkGVK, g.worksNamespace, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(g.worksSelector).String()})
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

// locateWorks reads the request's Promise once to learn where Kratix
// writes the request's Works (its pipelineNamespace, if set). A request
// without a Promise label has them in its own namespace. It reports false
// while the Promise cannot be read: the check is skipped, not guessed.
func (g *scheduleGuard) locateWorks(ctx context.Context, req *unstructured.Unstructured) bool {
	if g.worksLocated {
		return true
	}
	var promise *unstructured.Unstructured
	if name := req.GetLabels()[kratix.LabelPromiseName]; name != "" {
		var err error
		if promise, err = g.client.Get(ctx, kratix.PromiseGVK, "", name); err != nil {
			tflog.Debug(ctx, "cannot read the request's Promise to find its Works", map[string]any{"promise": name, "error": err.Error()})
			return false
		}
	}
	g.worksNamespace, g.worksSelector = kratix.RequestWorks(promise, req)
	g.worksLocated = true
	return true
}
