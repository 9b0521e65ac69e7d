package provider

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kratixPickupBound is how long an apply waits for Kratix to react to an
// object it wrote (a finalizer, a label, a status: any change after the
// write) before it says that Kratix's controller is not running. A running
// controller reacts within seconds, also while it restarts.
var kratixPickupBound = time.Minute

// kratixControllerAdvice is what to check when Kratix does not react.
const kratixControllerAdvice = "Kratix's controller manager may not be running, or may not reach the API server. Check it:\n" +
	"  kubectl -n kratix-platform-system get pods\n" +
	"  kubectl -n kratix-platform-system logs deployment/kratix-platform-controller-manager"

var errNotPickedUp = errors.New("kratix did not react to the object")

// pickupGuard ends a wait when Kratix has not touched the written object
// within kratixPickupBound, so that a platform whose controller is down
// fails an apply in a minute, saying so, instead of at the end of its
// timeout.
type pickupGuard struct {
	appliedVersion string
	touched        atomic.Bool
}

func newPickupGuard(applied *unstructured.Unstructured) *pickupGuard {
	return &pickupGuard{appliedVersion: applied.GetResourceVersion()}
}

// observe notes each version of the object the wait sees: one other than
// the written one was changed since, by Kratix as a rule.
func (g *pickupGuard) observe(obj *unstructured.Unstructured) {
	if obj != nil && obj.GetResourceVersion() != g.appliedVersion {
		g.touched.Store(true)
	}
}

// run calls wait with a context that ends at kratixPickupBound unless the
// object was touched by then, and reports whether that ended it.
func (g *pickupGuard) run(ctx context.Context, wait func(context.Context)) (notPickedUp bool) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := time.AfterFunc(kratixPickupBound, func() {
		if !g.touched.Load() {
			cancel(errNotPickedUp)
		}
	})
	defer timer.Stop()
	wait(ctx)
	return errors.Is(context.Cause(ctx), errNotPickedUp)
}

// notPickedUpError is the diagnostic for a written object Kratix never
// touched.
func notPickedUpError(what string) *waitError {
	return &waitError{
		summary: "Kratix did not pick up " + what,
		detail: fmt.Sprintf("The %s was written, but in %s Kratix did not touch it (no finalizer, label or status "+
			"appeared).\n\n%s", what, kratixPickupBound, kratixControllerAdvice),
	}
}
