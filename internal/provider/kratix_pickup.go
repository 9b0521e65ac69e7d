package provider

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// kratixPickupBound is how long an apply waits for Kratix to react to an
// object it wrote (a finalizer, a label, a status: any change after the
// write) before it checks whether Kratix's controller is running at all.
var kratixPickupBound = time.Minute

// kratixProbeTimeout bounds that check.
const kratixProbeTimeout = 15 * time.Second

// kratixProbeManager owns no field, so its dry-run applies change nothing.
const kratixProbeManager = "terraform-provider-kratix-probe"

// kratixControllerAdvice is what to check when Kratix does not react.
const kratixControllerAdvice = "Kratix's controller manager may not be running, or may not reach the API server. Check it:\n" +
	"  kubectl -n kratix-platform-system get pods\n" +
	"  kubectl -n kratix-platform-system logs deployment/kratix-platform-controller-manager"

var errNotPickedUp = errors.New("kratix's controller does not answer")

// pickupGuard ends a wait when Kratix has not touched the written object
// within kratixPickupBound and Kratix's controller is confirmed down, so
// that such a platform fails an apply in about a minute, saying so, instead
// of at the end of its timeout. Slowness alone never ends the wait: a
// failed create taints the object, and the next apply would replace it.
// The check is a dry-run apply of a Promise that changes nothing: the API
// server calls Kratix's admission webhooks for it, and those are served by
// the controller manager's own process.
type pickupGuard struct {
	client         *kube.Client
	promise        string // the Promise to probe; "" means any
	appliedVersion string
	touched        atomic.Bool
	probeErr       error // why the controller was found down; set before the cancel
}

func newPickupGuard(client *kube.Client, applied *unstructured.Unstructured, promise string) *pickupGuard {
	return &pickupGuard{client: client, promise: promise, appliedVersion: applied.GetResourceVersion()}
}

// observe notes each version of the object the wait sees: one other than
// the written one was changed since, by Kratix as a rule.
func (g *pickupGuard) observe(obj *unstructured.Unstructured) {
	if obj != nil && obj.GetResourceVersion() != g.appliedVersion {
		g.touched.Store(true)
	}
}

// run calls wait with a context that ends when, at kratixPickupBound, the
// object is untouched and Kratix's controller is down; it reports whether
// that ended it.
func (g *pickupGuard) run(ctx context.Context, wait func(context.Context)) (notPickedUp bool) {
	waitCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(kratixPickupBound, func() {
		if g.touched.Load() {
			return
		}
		if err := g.probe(waitCtx); kube.IsWebhookUnreachable(err) {
			g.probeErr = err
			cancel(errNotPickedUp)
			return
		}
		tflog.Info(ctx, "Kratix has not touched the object yet, but its controller answers; waiting on", map[string]any{"bound": kratixPickupBound.String()})
	})
	defer timer.Stop()
	wait(waitCtx)
	return errors.Is(context.Cause(waitCtx), errNotPickedUp)
}

// probe sends the dry-run; an error for which kube.IsWebhookUnreachable
// holds means that Kratix's controller manager is down.
func (g *pickupGuard) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, kratixProbeTimeout)
	defer cancel()
	name := g.promise
	if name == "" {
		list, err := g.client.List(ctx, kratix.PromiseGVK, "", metav1.ListOptions{Limit: 1})
		if err != nil || len(list.Items) == 0 {
			return err
		}
		name = list.Items[0].GetName()
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(kratix.PromiseGVK)
	obj.SetName(name)
	_, err := g.client.Apply(ctx, obj, kube.ApplyOptions{FieldManager: kratixProbeManager, DryRun: true})
	return err
}

// follow runs wait under the guard (see run) and decides how the follow
// that wait filled res in with ended, the guard's finding included: with
// kratix.EndStuck, res.Err says why the controller was found down.
func (g *pickupGuard) follow(ctx context.Context, res *kratix.FollowResult, wait func(context.Context)) {
	res.NotPickedUp = g.run(ctx, wait)
	*res = res.Decided(ctx.Err())
	if res.Ending == kratix.EndStuck {
		res.Err = g.probeErr
	}
}

// notPickedUp is the words for a written object Kratix never touched while
// its controller does not answer.
func (r followReport) notPickedUp(res kratix.FollowResult) (string, string) {
	return "Kratix did not pick up " + r.what, fmt.Sprintf("The %s was written, but in %s Kratix did not touch it (no "+
		"finalizer, label or status appeared), and Kratix's admission webhooks, which its controller manager serves, do "+
		"not answer: %v\n\n%s", r.what, kratixPickupBound, res.Err, kratixControllerAdvice)
}
