package acctest

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
)

// webhookRetryWindow bounds how long a test's own write waits for Kratix's
// webhooks to come back.
const webhookRetryWindow = time.Minute

// webhookRetryTransport re-sends a test's own request that the API server
// refused because it could not reach an admission webhook. The real Kratix
// restarts its controller manager in-process two minutes after a Promise's
// API changes, and its webhook server is down for a moment while it does, so
// a test's setup write (a kubectl-like create, a drift patch) can land in
// that window. The provider rides this out with its own retries; the tests'
// direct writes get the same chance here instead of failing at random. The
// API server calls webhooks before it stores anything, so re-sending is safe.
type webhookRetryTransport struct {
	next http.RoundTripper
}

func (t webhookRetryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	deadline := time.Now().Add(webhookRetryWindow)
	for delay := 200 * time.Millisecond; ; delay = min(2*delay, 5*time.Second) {
		resp, err := t.next.RoundTrip(req)
		if err != nil || !webhookUnreachable(resp) || time.Now().After(deadline) || req.Body != nil && req.GetBody == nil {
			return resp, err
		}
		logf("%s %s: an admission webhook was unreachable; retrying in %s", req.Method, req.URL.Path, delay)
		select {
		case <-req.Context().Done():
			return resp, nil
		case <-time.After(delay):
		}
		if req, err = rewind(req); err != nil {
			return nil, err
		}
	}
}

// webhookUnreachable reports a 500 whose status says a webhook call failed
// to connect. The body is read and put back for the caller.
func webhookUnreachable(resp *http.Response) bool {
	if resp.StatusCode != http.StatusInternalServerError {
		return false
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	return bytes.Contains(body, []byte("failed calling webhook")) &&
		(bytes.Contains(body, []byte("connection refused")) || bytes.Contains(body, []byte("connection reset")))
}

// rewind is req with a fresh copy of its body.
func rewind(req *http.Request) (*http.Request, error) {
	if req.GetBody == nil {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	clone := req.Clone(req.Context())
	clone.Body = body
	return clone, nil
}

// withWebhookRetry makes every client built from cfg use
// webhookRetryTransport.
func withWebhookRetry(cfg *rest.Config) *rest.Config {
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return webhookRetryTransport{next: rt} })
	return cfg
}
