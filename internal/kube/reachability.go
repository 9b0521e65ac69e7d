package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// MinUnreachableBound is the shortest outage after which calls fail fast.
// The bound is the wait of the first operation that gave up: once one
// operation has waited out its whole timeout (timeouts.read, say) without
// the API server answering anything, the next ones would only wait the
// same, so they fail at once instead. An operation whose timeout is
// shorter than this does not count, so a blip of a few seconds never
// makes later calls fail fast.
var MinUnreachableBound = 10 * time.Second

const (
	// probeInterval spaces the requests that check, while calls fail fast,
	// whether the API server answers again.
	probeInterval = 2 * time.Second
	// probeTimeout bounds one such check: client-go's own TLS handshake
	// timeout, so a server that is back is seen within it.
	probeTimeout = 10 * time.Second
)

// UnreachableError is what a call returns, without sending anything, once
// an operation of the same provider run has waited out its whole timeout
// for an API server that answered nothing in that time (packets dropped,
// connections refused or reset). It does not unwrap to the last network
// error, so it is never retried as transient and never read as "not found":
// a read that gets it keeps the object in the state.
type UnreachableError struct {
	Host   string
	Since  time.Time     // when the unanswered requests began
	Waited time.Duration // the whole wait of the operation that gave up
	Last   string        // the last network error seen, if any
}

func (e *UnreachableError) Error() string {
	last := ""
	if e.Last != "" {
		last = " Last network error: " + e.Last + "."
	}
	return fmt.Sprintf("the Kubernetes API server at %s has not answered since %s: an earlier operation of this run "+
		"waited its whole timeout (%s; timeouts.read for a refresh or a plan) without an answer, so this request was "+
		"not sent, to fail now rather than wait the same timeout again. Check that the API server is reachable from "+
		"here: the network, a VPN or proxy that must be up, a firewall, and host / the kubeconfig's server address.%s",
		e.Host, e.Since.Format(time.RFC3339), e.Waited.Round(time.Second), last)
}

// reachability is the Client's memory of whether the API server answers.
// Every request goes through wrap; the retrier asks failFast before each
// attempt and reports gaveUp when an operation's deadline ends.
type reachability struct {
	host string
	now  func() time.Time

	mu         sync.Mutex
	lastAnswer time.Time            // the last time the server answered anything
	failedAt   time.Time            // start of the earliest attempt without an answer since lastAnswer
	pending    map[uint64]time.Time // requests still waiting for an answer, by start
	nextID     uint64
	lastErr    string
	down       *UnreachableError // set while calls fail fast
	probing    bool
	lastProbe  time.Time
	probe      http.RoundTripper // the raw transport, for probes
	log        Logger
}

func newReachability(log Logger) *reachability {
	return &reachability{now: time.Now, pending: map[uint64]time.Time{}, log: log}
}

// wrap records, for every request, whether the server answered. Any
// response counts as an answer, a 500 or 401 included: the server is
// reachable. A failure before any answer counts against it unless the
// caller cancelled (Ctrl-C says nothing about the server). RoundTrip
// returns once the response headers arrive, a watch's too, so a request
// still in it has had no answer yet: whether its connection or TLS
// handshake never completes or a connection that was fine has gone dead.
func (r *reachability) wrap(rt http.RoundTripper) http.RoundTripper {
	r.mu.Lock()
	if r.probe == nil {
		r.probe = rt
	}
	r.mu.Unlock()
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		id, start := r.begin()
		resp, err := rt.RoundTrip(req)
		r.end(req.Context(), id, start, err)
		return resp, err
	})
}

func (r *reachability) begin() (uint64, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	start := r.now()
	r.pending[r.nextID] = start
	return r.nextID, start
}

func (r *reachability) end(ctx context.Context, id uint64, start time.Time, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, id)
	switch {
	case err == nil:
		r.answered(ctx)
	case errors.Is(err, context.Canceled) || !isNetworkFailure(err):
	case r.lastAnswer.After(start):
		// The server answered another request meanwhile: no unbroken run.
	default:
		if r.failedAt.IsZero() || start.Before(r.failedAt) {
			r.failedAt = start
		}
		r.lastErr = err.Error()
	}
}

// answered resets the run of failures; r.mu must be held.
func (r *reachability) answered(ctx context.Context) {
	if r.down != nil {
		debug(ctx, r.log, "the Kubernetes API server answers again; calls are sent again", map[string]any{
			"host": r.host, "unreachable_since": r.down.Since.Format(time.RFC3339),
		})
	}
	r.lastAnswer, r.failedAt, r.down, r.lastErr = r.now(), time.Time{}, nil, ""
}

// isNetworkFailure reports a request that got no answer because of the
// network path: the connection was refused, reset or lost, it timed out
// (dial, TLS handshake, i/o, the caller's deadline), or the name does not
// resolve. TLS verification and credential errors are not: they say the
// server is there.
func isNetworkFailure(err error) bool {
	return IsUnreachable(err) || utilnet.IsConnectionReset(err) || utilnet.IsTimeout(err) ||
		utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "TLS handshake timeout")
}

// gaveUp is told that an operation that began waiting at waitStart has run
// out its deadline. When the server answered nothing in all that time, and
// requests were made and got no answer, later calls fail fast.
func (r *reachability) gaveUp(ctx context.Context, waitStart time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	since, unanswered := r.unansweredSince()
	waited := now.Sub(waitStart)
	if r.down != nil || !unanswered || r.lastAnswer.After(waitStart) || waited < MinUnreachableBound {
		return
	}
	r.down = &UnreachableError{Host: r.host, Since: since, Waited: waited, Last: r.lastErr}
	warn(ctx, r.log, "the Kubernetes API server has not answered for a whole operation timeout; later calls fail fast until it answers", map[string]any{
		"host": r.host, "unreachable_since": since.Format(time.RFC3339), "waited": waited.String(), "last_error": r.lastErr,
	})
}

// unansweredSince is the start of the earliest request since the last
// answer that failed or still waits for one; r.mu must be held.
func (r *reachability) unansweredSince() (time.Time, bool) {
	since := r.failedAt
	for _, start := range r.pending {
		start = maxTime(start, r.lastAnswer)
		if since.IsZero() || start.Before(since) {
			since = start
		}
	}
	return since, !since.IsZero()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// failFast returns the error to give instead of sending a request, or nil.
// While it fails, it checks in the background, at most every
// probeInterval, whether the server answers again: the calls themselves
// are not sent, so only a probe can end the outage.
func (r *reachability) failFast() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down == nil {
		return nil
	}
	if !r.probing && r.now().Sub(r.lastProbe) >= probeInterval && r.probe != nil {
		r.probing, r.lastProbe = true, r.now()
		go r.runProbe()
	}
	down := *r.down
	return &down
}

// runProbe sends GET /version with no credentials (the raw transport is
// below client-go's authentication): any answer, 401 included, shows that
// the server is reachable again, and wrap is not in its path, so the
// answer is recorded here.
func (r *reachability) runProbe() {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	base := strings.TrimRight(r.host, "/")
	if !strings.Contains(base, "://") {
		base = "https://" + base // as client-go reads a host without a scheme
	}
	err := errors.New("no request")
	req, rerr := http.NewRequestWithContext(ctx, http.MethodGet, base+"/version", nil)
	if rerr == nil {
		var resp *http.Response
		if resp, err = r.probe.RoundTrip(req); err == nil {
			_ = resp.Body.Close()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.probing = false
	if err == nil {
		r.answered(ctx)
	}
}
