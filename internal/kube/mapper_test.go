package kube

import (
	"context"
	"errors"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
)

// TestMappingResetsOnceOnMiss: a kind that appears after discovery was
// cached (a CRD created earlier in the same apply) is found through exactly
// one discovery refetch, and later lookups are served from the cache.
func TestMappingResetsOnceOnMiss(t *testing.T) {
	f := newFakeAPI(t)
	f.serveKind("other.io/v1", gadgetResource)
	c := f.client()
	ctx := context.Background()

	// Prime the cache without the Widget kind.
	if _, err := c.Mapping(ctx, gadgetGVK); err != nil {
		t.Fatal(err)
	}
	if h := f.hits(); h != 1 {
		t.Fatalf("first lookup fetched discovery %d times, want 1", h)
	}

	// Still missing: one reset, one refetch, then a "not served" error.
	_, err := c.Mapping(ctx, widgetGVK)
	if !IsKindNotServed(err) || !meta.IsNoMatchError(err) {
		t.Fatalf("want a kind-not-served error, got %v", err)
	}
	if h := f.hits(); h != 2 {
		t.Fatalf("a miss fetched discovery %d times in all, want 2 (one reset)", h)
	}

	// The CRD appears; the stale cache misses, the reset finds it.
	f.serveWidgets()
	m, err := c.Mapping(ctx, widgetGVK)
	if err != nil {
		t.Fatalf("kind added after caching was not found: %v", err)
	}
	if m.Resource.Resource != "widgets" || m.Scope.Name() != meta.RESTScopeNameNamespace {
		t.Errorf("mapping: %+v scope %s", m.Resource, m.Scope.Name())
	}
	if h := f.hits(); h != 3 {
		t.Fatalf("discovery fetched %d times, want 3", h)
	}

	// Cached from now on.
	for i := 0; i < 5; i++ {
		if _, err := c.Mapping(ctx, widgetGVK); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Mapping(ctx, gadgetGVK); err != nil {
			t.Fatal(err)
		}
	}
	if h := f.hits(); h != 3 {
		t.Errorf("cached lookups refetched discovery: %d fetches", h)
	}
}

// TestConcurrentMissesShareOneReset: many resources missing the same new kind
// at once must not each refetch discovery.
func TestConcurrentMissesShareOneReset(t *testing.T) {
	f := newFakeAPI(t)
	f.serveKind("other.io/v1", gadgetResource)
	c := f.client()
	if _, err := c.Mapping(context.Background(), gadgetGVK); err != nil {
		t.Fatal(err)
	}
	f.serveWidgets()

	const n = 30
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Mapping(context.Background(), widgetGVK)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if h := f.hits(); h > 4 {
		t.Errorf("%d concurrent misses caused %d discovery fetches; resets are not coalesced", n, h)
	}
}

// TestStaleResetIsSkipped: a caller whose miss predates a reset that already
// happened must not throw away the freshly fetched discovery again.
func TestStaleResetIsSkipped(t *testing.T) {
	f := newFakeAPI(t)
	f.serveKind("other.io/v1", gadgetResource)
	c := f.client()
	ctx := context.Background()
	if _, err := c.Mapping(ctx, gadgetGVK); err != nil {
		t.Fatal(err)
	}
	cl, err := c.init()
	if err != nil {
		t.Fatal(err)
	}
	gen := c.mapperGeneration() // two callers read the generation, both miss
	c.resetMapper(ctx, cl, gen) // the first resets
	if _, err := c.Mapping(ctx, gadgetGVK); err != nil {
		t.Fatal(err)
	}
	c.resetMapper(ctx, cl, gen) // the second comes late
	if _, err := c.Mapping(ctx, gadgetGVK); err != nil {
		t.Fatal(err)
	}
	if h := f.hits(); h != 2 {
		t.Errorf("discovery fetched %d times, want 2: the stale reset was not skipped", h)
	}
}

// TestUntilDone: a call that cannot be cancelled (client-go's discovery)
// stops holding its caller when the caller's context ends.
func TestUntilDone(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := untilDone(ctx, func() (int, error) {
		<-release
		return 1, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	v, err := untilDone(context.Background(), func() (int, error) { return 7, nil })
	if v != 7 || err != nil {
		t.Fatalf("got %d, %v; want 7, nil", v, err)
	}
}
