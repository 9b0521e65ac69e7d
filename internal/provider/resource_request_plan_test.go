package provider

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var schemaPromise = &unstructured.Unstructured{Object: map[string]any{
	"spec": map[string]any{"api": map[string]any{"spec": map[string]any{"versions": []any{map[string]any{
		"name": "v1", "storage": true,
		"schema": map[string]any{"openAPIV3Schema": map[string]any{"properties": map[string]any{"spec": map[string]any{"type": "object"}}}},
	}}}}},
}}

// countingRead answers with the errors in turn (nil: the Promise), after
// release is closed when it is not nil.
type countingRead struct {
	calls   atomic.Int32
	release chan struct{}
	answers []error
}

func (r *countingRead) read(ctx context.Context) (*unstructured.Unstructured, error) {
	n := int(r.calls.Add(1))
	if r.release != nil {
		select {
		case <-r.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if n <= len(r.answers) && r.answers[n-1] != nil {
		return nil, r.answers[n-1]
	}
	return schemaPromise, nil
}

func TestSchemaCacheSharesOneReadPerPromise(t *testing.T) {
	var c schemaCache
	slow := &countingRead{release: make(chan struct{})}
	var wg sync.WaitGroup
	oks := make(chan bool, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, ok := c.get(context.Background(), "slow", slow.read)
			oks <- ok
		}()
	}
	// Another Promise is not held up by the read in flight.
	other := &countingRead{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, _, ok := c.get(context.Background(), "other", other.read); !ok {
			t.Error("the other Promise's schema was not found")
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a read of one Promise blocked another Promise's")
	}
	close(slow.release)
	wg.Wait()
	close(oks)
	for ok := range oks {
		if !ok {
			t.Error("a waiter did not get the schema")
		}
	}
	if n := slow.calls.Load(); n != 1 {
		t.Errorf("%d reads of one Promise, want 1", n)
	}
	c.get(context.Background(), "slow", slow.read)
	if n := slow.calls.Load(); n != 1 {
		t.Errorf("a found schema was read again (%d reads)", n)
	}
}

func TestSchemaCacheKeepsOnlyAnswersThatStand(t *testing.T) {
	var c schemaCache
	promises := schema.GroupResource{Group: "platform.kratix.io", Resource: "promises"}
	transient := &countingRead{answers: []error{apierrors.NewServiceUnavailable("restarting")}}
	if _, _, ok := c.get(context.Background(), "p", transient.read); ok {
		t.Fatal("a failed read gave a schema")
	}
	if _, _, ok := c.get(context.Background(), "p", transient.read); !ok || transient.calls.Load() != 2 {
		t.Errorf("after a transient failure the Promise was not read again (ok %v, %d reads)", ok, transient.calls.Load())
	}

	missing := &countingRead{answers: []error{apierrors.NewNotFound(promises, "q")}}
	c.get(context.Background(), "q", missing.read)
	if _, _, ok := c.get(context.Background(), "q", missing.read); ok || missing.calls.Load() != 1 {
		t.Errorf("a missing Promise was read again in the same plan (ok %v, %d reads)", ok, missing.calls.Load())
	}
}

func TestSchemaCacheReadIsBounded(t *testing.T) {
	defer func(d time.Duration) { schemaLookupTimeout = d }(schemaLookupTimeout)
	schemaLookupTimeout = 50 * time.Millisecond
	var c schemaCache
	hung := &countingRead{release: make(chan struct{})} // never released: answers only when its context ends
	if _, _, ok := c.get(context.Background(), "p", hung.read); ok {
		t.Fatal("a read that never answered gave a schema")
	}
	close(hung.release)
	if _, _, ok := c.get(context.Background(), "p", hung.read); !ok {
		t.Error("the timed-out read was remembered")
	}
}
