package provider

import (
	"context"
	"fmt"
	"sync"
)

// promiseAPICache remembers, for the life of the provider process (one
// plan or apply), the API each Promise published. Terraform creates
// requests ten at a time, so lookups of one Promise are shared: the first
// caller reads (and may wait for) the Promise and the others wait for its
// answer instead of each reading it too. The kratix_promise resource
// forgets a Promise it changes.
type promiseAPICache struct {
	mu       sync.Mutex
	apis     map[string]promiseAPIVersionKind
	inflight map[string]*promiseAPILookup
	// abandoned explains a waiter's context ending during another caller's
	// lookup, naming the API server; nil gives the bare context error.
	abandoned func(ctx context.Context, promise string) error
}

type promiseAPIVersionKind struct{ apiVersion, kind string }

// promiseAPILookup is one caller's lookup that others may wait on; done
// closes once api and err are set.
type promiseAPILookup struct {
	done chan struct{}
	api  promiseAPIVersionKind
	err  error
}

// resolve returns the Promise's API from the cache, from a lookup another
// caller is running, or by running lookup. A caller stops waiting when its
// own context ends. When the lookup it waited on failed (another request's
// deadline, say), it tries again under its own context rather than taking
// someone else's error.
func (c *promiseAPICache) resolve(ctx context.Context, promise string, lookup func(context.Context) (promiseAPIVersionKind, error)) (promiseAPIVersionKind, error) {
	for {
		c.mu.Lock()
		if api, ok := c.apis[promise]; ok {
			c.mu.Unlock()
			return api, nil
		}
		if running, ok := c.inflight[promise]; ok {
			c.mu.Unlock()
			select {
			case <-running.done:
				if running.err == nil {
					return running.api, nil
				}
				continue
			case <-ctx.Done():
				return promiseAPIVersionKind{}, c.waitEnded(ctx, promise)
			}
		}
		return c.lookUp(ctx, promise, lookup)
	}
}

// waitEnded is the error of a waiter whose context ended. The lookup it
// waited on reads the Promise; the Promise has published its API or not,
// so the wait is for the API server, and the error says so.
func (c *promiseAPICache) waitEnded(ctx context.Context, promise string) error {
	err := ctx.Err()
	if c.abandoned != nil {
		err = c.abandoned(ctx, promise)
	}
	return fmt.Errorf("reading Promise %q, which gives the API its requests use (another read of it was under way): %w", promise, err)
}

// lookUp runs lookup for promise as the caller others wait on. It must be
// called with c.mu held; it releases it.
func (c *promiseAPICache) lookUp(ctx context.Context, promise string, lookup func(context.Context) (promiseAPIVersionKind, error)) (promiseAPIVersionKind, error) {
	mine := &promiseAPILookup{done: make(chan struct{})}
	if c.inflight == nil {
		c.inflight = map[string]*promiseAPILookup{}
	}
	c.inflight[promise] = mine
	c.mu.Unlock()

	mine.api, mine.err = lookup(ctx)

	c.mu.Lock()
	// A forget during the lookup removed it from inflight: the Promise
	// changed meanwhile, so the answer is handed to the waiters but not kept.
	if c.inflight[promise] == mine {
		delete(c.inflight, promise)
		if mine.err == nil {
			c.put(promise, mine.api)
		}
	}
	c.mu.Unlock()
	close(mine.done)
	return mine.api, mine.err
}

// put must be called with c.mu held.
func (c *promiseAPICache) put(promise string, api promiseAPIVersionKind) {
	if c.apis == nil {
		c.apis = map[string]promiseAPIVersionKind{}
	}
	c.apis[promise] = api
}

func (c *promiseAPICache) forget(promise string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.apis, promise)
	delete(c.inflight, promise)
}
