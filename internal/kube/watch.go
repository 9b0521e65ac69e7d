package kube

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// observer is fed the initial list and every later event of a list+watch.
// Returning done=true or an error ends the loop.
type observer struct {
	list  func(items []unstructured.Unstructured) (done bool, err error)
	event func(typ watch.EventType, obj *unstructured.Unstructured) (done bool, err error)
	// transient, if set, is told of every transient failure as it happens,
	// for observers read by other goroutines than the loop's.
	transient func(err error)
}

// listWatch lists, then watches from the list's resourceVersion, and keeps
// the watch alive: when the server ends the stream (timeout, restart) it
// resumes from the last resourceVersion seen; when that version is too old
// (410 Gone / Expired) it lists again. Transient failures are retried until
// ctx ends. lastErr, if not nil, receives the most recent transient failure so
// a timeout can say why nothing was seen.
//
// API errors come back translated; observer errors come back untouched.
func (c *Client) listWatch(ctx context.Context, ri dynamic.ResourceInterface, op operation, selector string, obs observer, lastErr *error) error {
	r := c.retry.unbounded()
	record := func(err error) error {
		if err == nil || !IsTransient(err) {
			return err
		}
		if lastErr != nil {
			*lastErr = err
		}
		if obs.transient != nil {
			obs.transient(err)
		}
		return err
	}
	rv := ""
	for {
		if rv == "" {
			var list *unstructured.UnstructuredList
			err := r.do(ctx, "list", func(ctx context.Context) error {
				var err error
				list, err = ri.List(ctx, metav1.ListOptions{FieldSelector: selector})
				return record(err)
			})
			if err != nil {
				return translate(err, op.withVerb("list"))
			}
			if done, err := obs.list(list.Items); done || err != nil {
				return err
			}
			rv = list.GetResourceVersion()
		}
		var w watch.Interface
		err := r.do(ctx, "watch", func(ctx context.Context) error {
			var err error
			w, err = ri.Watch(ctx, watchOptions(selector, rv))
			return record(err)
		})
		switch {
		case isGone(err):
			rv = ""
			continue
		case err != nil:
			return translate(err, op.withVerb("watch"))
		}
		next, done, err := consume(ctx, w, rv, obs, record)
		w.Stop()
		if done || err != nil {
			return err
		}
		rv = next
		// The stream ended without a verdict. Pause briefly so a server that
		// closes watches at once cannot make this loop spin.
		if err := r.sleep(ctx, r.delay(1)); err != nil {
			return err
		}
	}
}

func watchOptions(selector, rv string) metav1.ListOptions {
	// Ask the server to end the watch after 5-10 minutes (as client-go's
	// reflector does), so a silently dead connection cannot stall a wait.
	timeout := int64(300 + rand.IntN(300))
	return metav1.ListOptions{
		FieldSelector:       selector,
		ResourceVersion:     rv,
		AllowWatchBookmarks: true,
		TimeoutSeconds:      &timeout,
	}
}

// consume reads events until the stream ends, the observer is done or fails,
// or ctx ends. It returns the resourceVersion to resume from; "" asks for a
// fresh list.
func consume(ctx context.Context, w watch.Interface, rv string, obs observer, record func(error) error) (string, bool, error) {
	for {
		select {
		case <-ctx.Done():
			return rv, false, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return rv, false, nil
			}
			switch ev.Type {
			case watch.Error:
				err := apierrors.FromObject(ev.Object)
				switch {
				case isGone(err):
					return "", false, nil
				case IsTransient(record(err)):
					return rv, false, nil
				}
				return rv, false, err
			case watch.Added, watch.Modified, watch.Deleted, watch.Bookmark:
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					continue
				}
				rv = u.GetResourceVersion()
				if ev.Type == watch.Bookmark {
					continue
				}
				if done, err := obs.event(ev.Type, u); done || err != nil {
					return rv, done, err
				}
			}
		}
	}
}

// isGone reports that the resourceVersion to resume from is no longer
// available (410 Gone or Expired): the only cure is a fresh list.
func isGone(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status) && status.Status().Code == http.StatusGone
}

func (op operation) withVerb(verb string) operation {
	op.verb = verb
	return op
}
