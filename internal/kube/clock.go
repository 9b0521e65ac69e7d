package kube

import (
	"net/http"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// serverClock learns the API server's clock from the Date header of its
// responses, so that the times the provider compares with the server's own
// (creationTimestamp, lastTransitionTime) come from the same clock: a
// laptop clock that drifts must not make an old failure look new.
//
// The Date header is truncated to the second and arrives after it was
// written, so the learnt time is never ahead of the server's, and at most
// about a second behind.
type serverClock struct {
	local func() time.Time // the local clock: time.Now, or a test's
	// offset is server minus local time in nanoseconds, valid once known.
	offset atomic.Int64
	known  atomic.Bool
}

func newServerClock(local func() time.Time) *serverClock {
	if local == nil {
		local = time.Now
	}
	return &serverClock{local: local}
}

// observe records the offset a response's Date header shows, received at
// local time received.
func (c *serverClock) observe(date string, received time.Time) {
	server, err := http.ParseTime(date)
	if err != nil {
		return
	}
	c.offset.Store(int64(server.Sub(received)))
	c.known.Store(true)
}

// at is the server's time at local time local; local itself until a
// response has shown the server's clock.
func (c *serverClock) at(local time.Time) time.Time {
	if !c.known.Load() {
		return local
	}
	return local.Add(time.Duration(c.offset.Load()))
}

// wrap observes every response's Date header.
func (c *serverClock) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(req)
		if err == nil {
			c.observe(resp.Header.Get("Date"), c.local())
		}
		return resp, err
	})
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// ServerNow is the API server's current time as its responses so far
// show it (the local time before the first response), truncated to the
// second like the timestamps it writes. Compare it, never time.Now, with
// times the server or a controller on it wrote.
func (c *Client) ServerNow() time.Time {
	return c.clock.at(c.clock.local()).Truncate(time.Second)
}

// WrittenAt is when the API server recorded the last write by manager to
// obj (the newest time among the manager's managedFields entries for the
// object itself, apply or update): the server's own clock, to the second,
// to compare with the times controllers write. ok is false when manager
// has no entry. A write that changed none of the manager's fields leaves
// the time as it was.
func WrittenAt(obj *unstructured.Unstructured, manager string) (at time.Time, ok bool) {
	for _, f := range obj.GetManagedFields() {
		if f.Manager != manager || f.Subresource != "" || f.Time == nil {
			continue
		}
		if !ok || f.Time.After(at) {
			at, ok = f.Time.Time, true
		}
	}
	return at, ok
}
