package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// Condition decides whether a wait is over. obj is nil when the object does
// not exist. Returning an error ends the wait with that error, unchanged.
type Condition func(obj *unstructured.Unstructured) (done bool, err error)

// WaitError is returned when ctx ends before the condition is met. It says
// what was awaited and what was last seen, and unwraps to ctx.Err() (so
// errors.Is(err, context.DeadlineExceeded) holds) and to the last transient
// API failure, if any.
type WaitError struct {
	Waiting    string                     // e.g. `redis.marketplace.kratix.io "cache" in namespace "default"`
	Observed   bool                       // false when nothing could be read before ctx ended
	LastObject *unstructured.Unstructured // last state seen; nil if it did not exist or nothing was seen
	LastState  string                     // LastObject described for people, or another summary
	LastErr    error                      // most recent transient failure, if any
	Err        error                      // ctx.Err()
}

func (e *WaitError) Error() string {
	var b strings.Builder
	verb := "timed out"
	if errors.Is(e.Err, context.Canceled) {
		verb = "stopped"
	}
	fmt.Fprintf(&b, "%s waiting for %s; ", verb, e.Waiting)
	if e.Observed {
		b.WriteString("last observed: " + e.LastState)
	} else {
		b.WriteString("nothing could be observed yet")
	}
	if e.LastErr != nil {
		fmt.Fprintf(&b, "; last API error: %v", e.LastErr)
	}
	fmt.Fprintf(&b, " (%v)", e.Err)
	return b.String()
}

func (e *WaitError) Unwrap() []error {
	if e.LastErr == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.LastErr}
}

// WaitFor watches one object and calls cond with every state it observes,
// starting with the current one (nil while the object does not exist). It
// returns the last observed object when cond says done; cond's error as is;
// or, when ctx ends, the last observed object and a *WaitError. The watch
// survives API server restarts and expired resource versions, so a long wait
// is not aborted by a transient failure. It never polls.
func (c *Client) WaitFor(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string, cond Condition) (*unstructured.Unstructured, error) {
	ri, op, err := c.objectResource(ctx, "watch", gvk, namespace, name)
	if err != nil {
		return nil, err
	}
	st := &waitState{cond: cond}
	obs := observer{
		list: func(items []unstructured.Unstructured) (bool, error) {
			var obj *unstructured.Unstructured
			for i := range items {
				if items[i].GetName() == name {
					obj = &items[i]
				}
			}
			return st.observe(obj)
		},
		event: func(typ watch.EventType, obj *unstructured.Unstructured) (bool, error) {
			if typ == watch.Deleted {
				obj = nil
			}
			return st.observe(obj)
		},
	}
	selector := fields.OneTermEqualSelector("metadata.name", name).String()
	err = c.listWatch(ctx, ri, op, selector, obs, &st.lastErr)
	switch {
	case st.condErr != nil:
		return st.last, st.condErr
	case err == nil:
		return st.last, nil
	case ctx.Err() != nil:
		return st.last, &WaitError{
			Waiting: op.target(), Observed: st.observed, LastObject: st.last,
			LastState: DescribeObject(st.last), LastErr: st.lastErr, Err: ctx.Err(),
		}
	}
	return st.last, err
}

// waitState remembers what the waiter saw, for the result and for messages.
type waitState struct {
	cond     Condition
	observed bool
	last     *unstructured.Unstructured
	lastErr  error
	condErr  error
}

func (s *waitState) observe(obj *unstructured.Unstructured) (bool, error) {
	s.observed, s.last = true, obj
	done, err := s.cond(obj)
	if err != nil {
		s.condErr = err
	}
	return done, err
}
