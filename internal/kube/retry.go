package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
)

// DefaultBackoff is used when Options.RetryBackoff is zero: 10 attempts,
// starting at 100 ms and doubling up to 5 s, with 20% jitter, so ~20 s in
// all. That rides out a 429 from a brand-new CRD ("storage is (re)initializing",
// about a second) and an API server restart, but gives up long before a
// Terraform timeout would.
var DefaultBackoff = wait.Backoff{
	Duration: 100 * time.Millisecond,
	Factor:   2,
	Jitter:   0.2,
	Steps:    10,
	Cap:      5 * time.Second,
}

// IsTransient reports whether err is worth retrying: the API server is busy
// (429), failing or restarting (5xx, timeouts, refused or reset connections,
// EOF). Client errors (400, 401, 403, 404, 409, 410, 422) never are: repeating
// the same request cannot change the answer.
func IsTransient(err error) bool {
	var down *UnreachableError
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &down) {
		return false
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return transientStatus(status.Status())
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) ||
		utilnet.IsProbableEOF(err) || utilnet.IsHTTP2ConnectionLost(err) || utilnet.IsTimeout(err)
}

func transientStatus(s metav1.Status) bool {
	// Server-side apply reports an object that does not fit its schema as
	// a 500; sending it again cannot help.
	if strings.Contains(s.Message, "failed to create typed patch object") {
		return false
	}
	switch s.Reason {
	case metav1.StatusReasonTooManyRequests, metav1.StatusReasonServerTimeout,
		metav1.StatusReasonTimeout, metav1.StatusReasonServiceUnavailable, metav1.StatusReasonInternalError:
		return true
	}
	switch s.Code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// WebhookUnreachableBound is how long a write keeps being retried while the
// API server cannot reach an admission webhook. A controller restarting its
// webhook server is back within seconds; one that is not running never is,
// and its error, not a timeout minutes later, is what the caller must see.
var WebhookUnreachableBound = time.Minute

// IsWebhookUnreachable reports the API server's 500 for an admission
// webhook it could not call: the webhook's server is down or unreachable.
func IsWebhookUnreachable(err error) bool {
	var status apierrors.APIStatus
	if err == nil || !errors.As(err, &status) || status.Status().Code != http.StatusInternalServerError {
		return false
	}
	msg := status.Status().Message
	return strings.Contains(msg, "failed calling webhook") &&
		(strings.Contains(msg, "connection refused") || strings.Contains(msg, "connection reset") ||
			strings.Contains(msg, "no endpoints available") || strings.Contains(msg, "i/o timeout") ||
			strings.Contains(msg, "context deadline exceeded") || strings.Contains(msg, "no route to host"))
}

// retrier runs an operation until it succeeds, fails for good, the attempts
// run out or ctx ends.
type retrier struct {
	backoff wait.Backoff
	log     Logger
	// sleep waits d or until ctx ends; tests replace it to observe delays.
	sleep func(ctx context.Context, d time.Duration) error
	// reach makes attempts fail fast while the API server is known to be
	// unreachable, and learns from operations that run out their deadline;
	// nil in tests of the retrier alone.
	reach *reachability
	// waitsOutOutages is set for waits, which keep retrying through an
	// outage to their own timeout even while other calls fail fast.
	waitsOutOutages bool
}

func newRetrier(b wait.Backoff, log Logger) retrier {
	if b == (wait.Backoff{}) {
		b = DefaultBackoff
	}
	return retrier{backoff: b, log: log, sleep: sleepCtx}
}

// unbounded returns a copy that keeps retrying until ctx ends. Waits use it:
// an API server restart in the middle of a 20-minute wait must not abort it
// (hashicorp/terraform-provider-kubernetes#2614).
func (r retrier) unbounded() retrier {
	r.backoff.Steps = 0
	r.waitsOutOutages = true
	return r
}

// do calls fn until it returns nil or a non-transient error. A Retry-After
// from the server (429, ServerTimeout) stretches the delay when it is longer
// than the backoff's own.
//
// When ctx has a deadline (a Terraform operation's timeout), transient
// failures are retried until that deadline, so every operation rides out an
// API server outage for as long as its own timeout allows; only a call
// without a deadline is bounded by the backoff's number of attempts.
//
// While the API server is known to be unreachable (see reachability), an
// attempt fails at once with an *UnreachableError instead of being sent;
// only a wait keeps retrying then. An operation that runs out its deadline
// tells the Client, which may then make later calls fail fast.
func (r retrier) do(ctx context.Context, what string, fn func(context.Context) error) error {
	start := time.Now()
	err := r.attempts(ctx, what, fn)
	if errors.Is(err, context.DeadlineExceeded) && errors.Is(ctx.Err(), context.DeadlineExceeded) && r.reach != nil {
		r.reach.gaveUp(ctx, start)
	}
	return err
}

func (r retrier) attempts(ctx context.Context, what string, fn func(context.Context) error) error {
	_, hasDeadline := ctx.Deadline()
	var webhookDownSince time.Time
	for attempt := 1; ; attempt++ {
		err := r.attempt(ctx, fn)
		if err == nil || !r.retriable(err) {
			return err
		}
		if !hasDeadline && r.backoff.Steps > 0 && attempt >= r.backoff.Steps {
			return fmt.Errorf("%w (gave up after %d attempts)", err, attempt)
		}
		if IsWebhookUnreachable(err) {
			if webhookDownSince.IsZero() {
				webhookDownSince = time.Now()
			} else if time.Since(webhookDownSince) >= WebhookUnreachableBound {
				return fmt.Errorf("%w (the webhook did not answer for %s)", err, WebhookUnreachableBound)
			}
		}
		delay := r.delay(attempt)
		if secs, ok := apierrors.SuggestsClientDelay(err); ok && time.Duration(secs)*time.Second > delay {
			delay = time.Duration(secs) * time.Second
		}
		debug(ctx, r.log, "retrying Kubernetes request after a transient error", map[string]any{
			"operation": what, "attempt": attempt, "delay": delay.String(), "error": err.Error(),
		})
		if serr := r.sleep(ctx, delay); serr != nil {
			return fmt.Errorf("%w (stopped retrying: %w)", err, serr)
		}
	}
}

// attempt sends one attempt, unless the API server is known to be
// unreachable.
func (r retrier) attempt(ctx context.Context, fn func(context.Context) error) error {
	if err := r.reach.failFast(); err != nil {
		return err
	}
	return fn(ctx)
}

// retriable is IsTransient, and for a wait also a call that failed fast.
func (r retrier) retriable(err error) bool {
	var down *UnreachableError
	if errors.As(err, &down) {
		return r.waitsOutOutages
	}
	return IsTransient(err)
}

// delay is the wait before retry number attempt (1-based): Duration times
// Factor^(attempt-1), capped, plus jitter. wait.Backoff.Step is not used
// because it ends the sequence as soon as the cap is reached.
func (r retrier) delay(attempt int) time.Duration {
	b := r.backoff
	d := b.Duration
	for i := 1; i < attempt && (b.Cap <= 0 || d < b.Cap); i++ {
		d = time.Duration(float64(d) * max(b.Factor, 1))
	}
	if b.Cap > 0 && d > b.Cap {
		d = b.Cap
	}
	if b.Jitter > 0 {
		d += time.Duration(rand.Float64() * b.Jitter * float64(d))
	}
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
