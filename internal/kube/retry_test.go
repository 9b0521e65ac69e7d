package kube

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"
)

var widgetsGR = schema.GroupResource{Group: "example.com", Resource: "widgets"}

// netErr wraps a syscall error the way net/http reports it.
func netErr(errno syscall.Errno) error {
	return &url.Error{Op: "Get", URL: "https://k8s.example/api", Err: &net.OpError{
		Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno),
	}}
}

func TestIsTransient(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"429 too many requests", apierrors.NewTooManyRequests("storage is (re)initializing", 1), true},
		{"500 internal", apierrors.NewInternalError(errors.New("etcd hiccup")), true},
		{"500 server timeout", apierrors.NewServerTimeout(widgetsGR, "get", 2), true},
		{"503 unavailable", apierrors.NewServiceUnavailable("restarting"), true},
		{"504 timeout", apierrors.NewTimeoutError("slow", 1), true},
		{"502 generic", apierrors.NewGenericServerResponse(http.StatusBadGateway, "get", widgetsGR, "w", "", 0, false), true},
		{"connection refused", netErr(syscall.ECONNREFUSED), true},
		{"connection reset", netErr(syscall.ECONNRESET), true},
		{"EOF", &url.Error{Op: "Get", URL: "https://k8s.example", Err: io.EOF}, true},
		{"wrapped EOF", fmt.Errorf("reading body: %w", io.EOF), true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"GOAWAY", errors.New("http2: server sent GOAWAY and closed the connection"), true},

		{"nil", nil, false},
		{"500 SSA schema mismatch", apierrors.NewInternalError(errors.New("failed to create typed patch object (/x; example.com/v1, Kind=Widget): .spec.regex: field not declared in schema")), false},
		{"400 bad request", apierrors.NewBadRequest("bad"), false},
		{"401 unauthorized", apierrors.NewUnauthorized("expired"), false},
		{"403 forbidden", apierrors.NewForbidden(widgetsGR, "w", errors.New("no")), false},
		{"404 not found", apierrors.NewNotFound(widgetsGR, "w"), false},
		{"409 conflict", apierrors.NewConflict(widgetsGR, "w", errors.New("changed")), false},
		{"409 already exists", apierrors.NewAlreadyExists(widgetsGR, "w"), false},
		{"410 gone", apierrors.NewGone("too old"), false},
		{"422 invalid", apierrors.NewInvalid(schema.GroupKind{Group: "example.com", Kind: "Widget"}, "w",
			field.ErrorList{field.Required(field.NewPath("spec"), "")}), false},
		{"no kind match", &meta.NoKindMatchError{GroupKind: widgetGVK.GroupKind(), SearchedVersions: []string{"v1"}}, false},
		{"x509", &url.Error{Op: "Get", URL: "https://k8s.example", Err: x509.UnknownAuthorityError{}}, false},
		{"context canceled", context.Canceled, false},
		{"deadline exceeded", &url.Error{Op: "Get", URL: "https://k8s.example", Err: context.DeadlineExceeded}, false},
		{"plain error", errors.New("something else"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsTransient(tc.err); got != tc.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

// recordingRetrier records the delays it would have slept.
func recordingRetrier(b wait.Backoff) (*retrier, *[]time.Duration) {
	var delays []time.Duration
	r := newRetrier(b, nil)
	r.sleep = func(ctx context.Context, d time.Duration) error {
		delays = append(delays, d)
		return ctx.Err()
	}
	return &r, &delays
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	r, delays := recordingRetrier(wait.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Steps: 10, Cap: time.Second})
	calls := 0
	err := r.do(context.Background(), "get", func(context.Context) error {
		calls++
		if calls < 3 {
			return apierrors.NewTooManyRequests("storage is (re)initializing", 3)
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("got err %v after %d calls, want success on the 3rd", err, calls)
	}
	for i, d := range *delays {
		if d < 3*time.Second {
			t.Errorf("delay %d is %v, shorter than Retry-After 3s", i, d)
		}
	}
}

func TestRetryStopsAfterSteps(t *testing.T) {
	r, delays := recordingRetrier(wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 8, Cap: time.Second})
	calls := 0
	err := r.do(context.Background(), "get", func(context.Context) error {
		calls++
		return apierrors.NewServiceUnavailable("restarting")
	})
	if calls != 8 || len(*delays) != 7 {
		t.Errorf("calls %d sleeps %d, want 8 and 7", calls, len(*delays))
	}
	if !apierrors.IsServiceUnavailable(err) {
		t.Errorf("last error must stay inspectable: %v", err)
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, d := range *delays {
		if d != want[i]*time.Millisecond {
			t.Errorf("delay %d = %v, want %v (doubling, capped)", i, d, want[i]*time.Millisecond)
		}
	}
}

func TestRetryNeverRepeatsClientErrors(t *testing.T) {
	for _, err := range []error{
		apierrors.NewForbidden(widgetsGR, "w", errors.New("no")),
		apierrors.NewNotFound(widgetsGR, "w"),
		apierrors.NewConflict(widgetsGR, "w", errors.New("changed")),
		apierrors.NewBadRequest("bad"),
	} {
		r, delays := recordingRetrier(DefaultBackoff)
		calls := 0
		got := r.do(context.Background(), "get", func(context.Context) error { calls++; return err })
		if calls != 1 || len(*delays) != 0 || got != err {
			t.Errorf("%v: %d calls, %d sleeps, returned %v", err, calls, len(*delays), got)
		}
	}
}

func TestRetryEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := newRetrier(wait.Backoff{Duration: time.Hour, Steps: 10}, nil)
	calls := 0
	err := r.do(ctx, "get", func(context.Context) error {
		calls++
		cancel()
		return apierrors.NewServiceUnavailable("restarting")
	})
	if calls != 1 || !errors.Is(err, context.Canceled) || !apierrors.IsServiceUnavailable(err) {
		t.Errorf("calls %d, err %v: want one call and an error wrapping both causes", calls, err)
	}
}

func TestUnboundedRetryIgnoresSteps(t *testing.T) {
	r, delays := recordingRetrier(wait.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 2, Cap: 4 * time.Millisecond})
	u := r.unbounded()
	calls := 0
	err := u.do(context.Background(), "watch", func(context.Context) error {
		calls++
		if calls < 20 {
			return netErr(syscall.ECONNREFUSED)
		}
		return nil
	})
	if err != nil || calls != 20 || len(*delays) != 19 {
		t.Errorf("err %v calls %d sleeps %d", err, calls, len(*delays))
	}
}

// TestClientRetriesTransientResponses drives the whole path through
// client-go: two 503s then success for Get, and a 403 that is sent once.
func TestClientRetriesTransientResponses(t *testing.T) {
	f := newFakeAPI(t)
	f.serveWidgets()
	failures := 0
	f.on("GET", widgetsPath+"/w1", func(w http.ResponseWriter, r *http.Request) {
		if failures < 2 {
			failures++
			writeStatus(w, apierrors.NewServiceUnavailable("apiserver restarting"))
			return
		}
		writeJSON(w, http.StatusOK, widget("w1", "5", 1, 1, "True"))
	})
	f.on("GET", widgetsPath+"/w2", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, apierrors.NewForbidden(widgetsGR, "w2", errors.New(`User "bob" cannot get resource "widgets"`)))
	})
	c := f.client()

	obj, err := c.Get(context.Background(), widgetGVK, "ns", "w1")
	if err != nil || obj.GetName() != "w1" {
		t.Fatalf("Get after transient failures: %v", err)
	}
	if n := f.count("GET", widgetsPath+"/w1"); n != 3 {
		t.Errorf("GET sent %d times, want 3", n)
	}

	_, err = c.Get(context.Background(), widgetGVK, "ns", "w2")
	if !IsForbidden(err) {
		t.Fatalf("want forbidden, got %v", err)
	}
	if n := f.count("GET", widgetsPath+"/w2"); n != 1 {
		t.Errorf("forbidden GET sent %d times, want 1", n)
	}
}

// An operation with a timeout retries until that timeout, whatever the
// attempt bound: a destroy rides out an outage as long as a create does.
func TestRetryWithinDeadlineIgnoresSteps(t *testing.T) {
	r, delays := recordingRetrier(wait.Backoff{Duration: time.Millisecond, Factor: 2, Steps: 3, Cap: 4 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	calls := 0
	err := r.do(ctx, "delete", func(context.Context) error {
		calls++
		if calls < 12 {
			return apierrors.NewServiceUnavailable("restarting")
		}
		return nil
	})
	if err != nil || calls != 12 || len(*delays) != 11 {
		t.Errorf("err %v calls %d sleeps %d: want success on the 12th call despite Steps=3", err, calls, len(*delays))
	}
}

// TestRetryGivesUpOnAnUnreachableWebhook: an admission webhook that does not
// answer is retried for WebhookUnreachableBound, not until the operation's
// deadline, and its own error is what the caller gets.
func TestRetryGivesUpOnAnUnreachableWebhook(t *testing.T) {
	defer func(bound time.Duration) { WebhookUnreachableBound = bound }(WebhookUnreachableBound)
	WebhookUnreachableBound = 20 * time.Millisecond
	r := newRetrier(wait.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	webhookDown := apierrors.NewInternalError(errors.New(`failed calling webhook "mpromise.kb.io": failed to call webhook: ` +
		`Post "https://127.0.0.1:9443/mutate": dial tcp 127.0.0.1:9443: connect: connection refused`))
	if !IsWebhookUnreachable(webhookDown) || !IsTransient(webhookDown) {
		t.Fatalf("a refused webhook call must be transient and unreachable: %v", webhookDown)
	}
	started := time.Now()
	err := r.do(ctx, "apply", func(context.Context) error { return webhookDown })
	if !IsWebhookUnreachable(err) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v, want the webhook's own error", err)
	}
	if elapsed := time.Since(started); elapsed > time.Minute {
		t.Errorf("gave up after %s, want about %s", elapsed, WebhookUnreachableBound)
	}
	if IsWebhookUnreachable(apierrors.NewInternalError(errors.New("etcdserver: request timed out"))) {
		t.Error("an internal error that names no webhook is not an unreachable webhook")
	}
}
