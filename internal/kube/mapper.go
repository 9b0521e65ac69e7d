package kube

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Mapping resolves gvk to its REST mapping (resource name and scope) through
// the Client's cached discovery. On a "no matches for kind" miss it resets the
// cache once and looks again, so a CRD created earlier in the same apply is
// found; a kind that is still missing gives an error for which
// IsKindNotServed is true.
func (c *Client) Mapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	cl, err := c.init()
	if err != nil {
		return nil, err
	}
	m, err := c.mapping(ctx, cl, gvk)
	return m, translate(err, discoveryOp(gvk, cl))
}

func (c *Client) mapping(ctx context.Context, cl *clients, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	for reset := false; ; reset = true {
		gen := c.mapperGeneration()
		var m *meta.RESTMapping
		err := c.retry.do(ctx, "discovery", func(ctx context.Context) error {
			found, err := untilDone(ctx, func() (*meta.RESTMapping, error) {
				return cl.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			})
			m = found
			return err
		})
		if err == nil || reset || !meta.IsNoMatchError(err) {
			return m, notAPIServer(err, cl.cfg.Host, "Kubernetes API discovery (/api, /apis)")
		}
		c.resetMapper(ctx, cl, gen)
	}
}

func (c *Client) mapperGeneration() uint64 {
	c.mapperMu.Lock()
	defer c.mapperMu.Unlock()
	return c.mapperGen
}

// resetMapper drops the cached discovery unless another caller already did
// so after gen was read: when twenty resources miss the same new kind at
// once, discovery is fetched again once, not twenty times.
func (c *Client) resetMapper(ctx context.Context, cl *clients, gen uint64) {
	c.mapperMu.Lock()
	defer c.mapperMu.Unlock()
	if c.mapperGen != gen {
		return
	}
	cl.mapper.Reset()
	c.mapperGen++
	debug(ctx, c.log, "kind not found in cached discovery; discovery cache reset", nil)
}

// discoveryOp describes a discovery lookup for error messages.
func discoveryOp(gvk schema.GroupVersionKind, cl *clients) operation {
	return operation{verb: "get", gvk: gvk, host: cl.cfg.Host, plugin: cl.plugin,
		what: fmt.Sprintf("API discovery (/api, /apis) for kind %s (%s)", gvk.Kind, gvk.GroupVersion().String())}
}

// untilDone returns fn's result, or ctx's error as soon as ctx ends if fn
// has not returned by then. client-go's discovery takes no context: its
// requests end only at the HTTP client's own timeout, and the memory cache
// lets one caller fetch at a time, so without this an unreachable server
// would hold every lookup, Ctrl-C and timeouts.read included, for half a
// minute. fn then finishes in the background and fills the cache for the
// next caller.
func untilDone[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		value T
		err   error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.value, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
