package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var redisAPI = promiseAPIVersionKind{apiVersion: "marketplace.kratix.io/v1alpha1", kind: "redis"}

// blockingLookup counts its calls and answers only once released.
type blockingLookup struct {
	calls   atomic.Int32
	release chan struct{}
	answers []error // the error of each call in turn; nil once they run out
}

func newBlockingLookup(answers ...error) *blockingLookup {
	return &blockingLookup{release: make(chan struct{}), answers: answers}
}

func (b *blockingLookup) run(ctx context.Context) (promiseAPIVersionKind, error) {
	n := int(b.calls.Add(1))
	<-b.release
	if n <= len(b.answers) && b.answers[n-1] != nil {
		return promiseAPIVersionKind{}, b.answers[n-1]
	}
	return redisAPI, nil
}

// startResolving calls resolve from n goroutines and gives them time to
// reach it before returning; results arrive on the channel.
func startResolving(ctx context.Context, c *promiseAPICache, lookup *blockingLookup, n int) <-chan error {
	results := make(chan error, n)
	var started sync.WaitGroup
	for range n {
		started.Add(1)
		go func() {
			started.Done()
			api, err := c.resolve(ctx, "redis", lookup.run)
			if err == nil && api != redisAPI {
				err = errors.New("wrong API " + api.apiVersion + " " + api.kind)
			}
			results <- err
		}()
	}
	started.Wait()
	time.Sleep(50 * time.Millisecond) // let them all reach resolve
	return results
}

func TestPromiseAPICacheSharesOneLookup(t *testing.T) {
	c := &promiseAPICache{}
	lookup := newBlockingLookup()
	results := startResolving(context.Background(), c, lookup, 10)
	close(lookup.release)
	for range 10 {
		if err := <-results; err != nil {
			t.Error(err)
		}
	}
	if _, err := c.resolve(context.Background(), "redis", lookup.run); err != nil {
		t.Fatal(err)
	}
	if got := lookup.calls.Load(); got != 1 {
		t.Errorf("11 resolves of one Promise ran %d lookups, want 1", got)
	}
}

func TestPromiseAPICacheRetriesAfterAFailedLookup(t *testing.T) {
	c := &promiseAPICache{}
	lookup := newBlockingLookup(context.DeadlineExceeded)
	results := startResolving(context.Background(), c, lookup, 2)
	close(lookup.release)
	var failed int
	for range 2 {
		if err := <-results; err != nil {
			failed++
		}
	}
	if failed != 1 || lookup.calls.Load() != 2 {
		t.Errorf("%d of 2 callers failed after %d lookups; want the waiter to look up again and succeed", failed, lookup.calls.Load())
	}
}

func TestPromiseAPICacheWaiterStopsWithItsContext(t *testing.T) {
	c := &promiseAPICache{}
	lookup := newBlockingLookup()
	defer close(lookup.release)
	leader := startResolving(context.Background(), c, lookup, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.resolve(ctx, "redis", lookup.run)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `Promise "redis"`) {
		t.Errorf("a waiter whose context ended got %v, want context.Canceled naming the Promise", err)
	}
	select {
	case err := <-leader:
		t.Errorf("the lookup finished before it was released: %v", err)
	default:
	}
}

// A waiter whose timeout ends during another caller's read of the Promise
// waited for the API server, not for the Promise to publish its API: its
// error says what the client says of the server.
func TestPromiseAPICacheWaiterNamesTheServer(t *testing.T) {
	c := &promiseAPICache{abandoned: func(ctx context.Context, promise string) error {
		return fmt.Errorf("the Kubernetes API server at https://api.example:6443 did not answer: %w", ctx.Err())
	}}
	lookup := newBlockingLookup()
	defer close(lookup.release)
	startResolving(context.Background(), c, lookup, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.resolve(ctx, "redis", lookup.run)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "https://api.example:6443") ||
		strings.Contains(err.Error(), "publish") {
		t.Errorf("a waiter whose timeout ended got %v, want the API server named and nothing of publishing", err)
	}
}

func TestPromiseAPICacheForgetDuringLookup(t *testing.T) {
	c := &promiseAPICache{}
	lookup := newBlockingLookup()
	results := startResolving(context.Background(), c, lookup, 1)
	c.forget("redis")
	close(lookup.release)
	if err := <-results; err != nil {
		t.Fatal(err)
	}
	if _, err := c.resolve(context.Background(), "redis", lookup.run); err != nil {
		t.Fatal(err)
	}
	if got := lookup.calls.Load(); got != 2 {
		t.Errorf("a Promise forgotten during its lookup was answered from the cache (%d lookups, want 2)", got)
	}
}
