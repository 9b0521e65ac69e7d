package kube

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// blackHole accepts connections and never answers on them, as a server
// behind a firewall that drops packets looks once the connection is up:
// the TLS handshake never completes.
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})
	return "https://" + ln.Addr().String()
}

func blackHoleClient(t *testing.T) (*Client, string) {
	host := blackHole(t)
	return NewForConfig(&rest.Config{Host: host, TLSClientConfig: rest.TLSClientConfig{Insecure: true}},
		Options{RetryBackoff: fastBackoff}), host
}

func withBound(t *testing.T, d time.Duration) {
	t.Helper()
	old := MinUnreachableBound
	MinUnreachableBound = d
	t.Cleanup(func() { MinUnreachableBound = old })
}

// Once one read has waited its whole timeout for a server that never
// answered, the next read fails at once, naming the server, since when it
// has not answered and what to check, and is never read as "not found".
func TestUnreachableServerFailsFastAfterOneTimeout(t *testing.T) {
	withBound(t, 300*time.Millisecond)
	c, host := blackHoleClient(t)

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, widgetGVK, "ns", "w"); !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), host) {
		t.Fatalf("first read: want the timeout naming %s, got %v", host, err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, widgetGVK, "ns", "w")
	if took := time.Since(start); took > time.Second {
		t.Errorf("second read took %s; want it to fail fast", took)
	}
	var down *UnreachableError
	if !errors.As(err, &down) {
		t.Fatalf("second read: want an *UnreachableError, got %v", err)
	}
	for _, want := range []string{host, "has not answered since", "timeouts.read", "VPN", "was not sent"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	if IsNotFound(err) || IsKindNotServed(err) || IsTransient(err) || !IsUnreachable(err) {
		t.Errorf("classification: notFound=%v notServed=%v transient=%v unreachable=%v",
			IsNotFound(err), IsKindNotServed(err), IsTransient(err), IsUnreachable(err))
	}
}

// Ctrl-C ends a read promptly, even while its connection hangs in the
// TLS handshake, and says nothing about the server.
func TestCancelledReadReturnsPromptly(t *testing.T) {
	withBound(t, 100*time.Millisecond)
	c, _ := blackHoleClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Get(ctx, widgetGVK, "ns", "w")
	if took := time.Since(start); took > 2*time.Second || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled read: took %s, err %v; want context.Canceled within 2s", took, err)
	}
	if err := c.retry.reach.failFast(); err != nil {
		t.Errorf("an interrupted read made later calls fail fast: %v", err)
	}
}

// fakeNow is a settable clock for reachability.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time          { return f.t }
func (f *fakeNow) advance(d time.Duration) { f.t = f.t.Add(d) }

func testReachability() (*reachability, *fakeNow) {
	clock := &fakeNow{t: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	r := newReachability(nil)
	r.now, r.host = clock.now, "https://api.example:6443"
	return r, clock
}

var errDial = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("i/o timeout")}

// A blip never makes calls fail fast: an operation that gives up before
// MinUnreachableBound, or one during whose wait the server answered once,
// does not count.
func TestBlipNeverFailsFast(t *testing.T) {
	ctx := context.Background()
	r, clock := testReachability()
	waitStart := clock.t
	id, start := r.begin()
	clock.advance(5 * time.Second)
	r.end(ctx, id, start, connRefused())
	r.gaveUp(ctx, waitStart)
	if err := r.failFast(); err != nil {
		t.Fatalf("a 5s outage made calls fail fast: %v", err)
	}

	id, start = r.begin()
	clock.advance(time.Second)
	r.end(ctx, id, start, nil) // one answer
	id, start = r.begin()
	clock.advance(MinUnreachableBound)
	r.end(ctx, id, start, connRefused())
	r.gaveUp(ctx, waitStart)
	if err := r.failFast(); err != nil {
		t.Fatalf("an operation that got an answer during its wait made calls fail fast: %v", err)
	}
}

func connRefused() error {
	return &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
}

// While calls fail fast, a probe checks whether the server answers again,
// and its first answer ends the outage.
func TestFirstAnswerEndsFailFast(t *testing.T) {
	ctx := context.Background()
	r, clock := testReachability()
	var mu sync.Mutex
	answer := false
	probes := make(chan struct{}, 10)
	r.probe = roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		defer func() { probes <- struct{}{} }()
		mu.Lock()
		defer mu.Unlock()
		if !answer {
			return nil, errDial
		}
		return &http.Response{StatusCode: http.StatusUnauthorized, Body: http.NoBody}, nil
	})
	waitStart := clock.t
	id, start := r.begin()
	clock.advance(MinUnreachableBound)
	r.end(ctx, id, start, context.DeadlineExceeded)
	r.gaveUp(ctx, waitStart)
	var down *UnreachableError
	if err := r.failFast(); !errors.As(err, &down) || !down.Since.Equal(waitStart) || down.Waited != MinUnreachableBound {
		t.Fatalf("want fail fast since %s after %s, got %v", waitStart, MinUnreachableBound, err)
	}
	<-probes // the failed probe
	waitProbeDone(t, r)

	mu.Lock()
	answer = true
	mu.Unlock()
	clock.advance(probeInterval)
	if err := r.failFast(); err == nil {
		t.Fatal("calls stopped failing fast before any answer")
	}
	<-probes
	waitProbeDone(t, r)
	if err := r.failFast(); err != nil {
		t.Fatalf("the probe's answer did not end the outage: %v", err)
	}
}

func waitProbeDone(t *testing.T, r *reachability) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		r.mu.Lock()
		probing := r.probing
		r.mu.Unlock()
		if !probing {
			return
		}
	}
	t.Fatal("the probe did not finish")
}

// A wait keeps retrying to its own deadline while other calls fail fast:
// an API server restart in a long wait must not fail the apply.
func TestWaitRidesOutFailFast(t *testing.T) {
	r, clock := testReachability()
	r.down = &UnreachableError{Host: r.host, Since: clock.t}
	r.probing = true // no probe in this test
	rt := newRetrier(fastBackoff, nil)
	rt.reach = r
	calls := 0
	fn := func(context.Context) error { calls++; return nil }
	if err := rt.do(context.Background(), "get", fn); !IsUnreachable(err) || calls != 0 {
		t.Fatalf("a call: want to fail fast without sending, got %v after %d calls", err, calls)
	}
	// The deadline only needs to be far beyond the outage: a loaded
	// machine has delayed the retry past a 100 ms one.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	time.AfterFunc(50*time.Millisecond, func() {
		r.mu.Lock()
		r.down = nil
		r.mu.Unlock()
	})
	if err := rt.unbounded().do(ctx, "watch", fn); err != nil || calls != 1 {
		t.Fatalf("a wait: want it to ride out the outage, got %v after %d calls", err, calls)
	}
}
