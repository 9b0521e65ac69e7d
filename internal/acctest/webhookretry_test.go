package acctest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

const webhookRefused = `{"kind":"Status","status":"Failure","message":"Internal error occurred: failed calling webhook \"mpromise.kb.io\": failed to call webhook: Post \"https://127.0.0.1:9443/mutate\": dial tcp 127.0.0.1:9443: connect: connection refused","reason":"InternalError","code":500}`

// serveFailures answers the first n requests with status and body, then 200,
// and records every request body it received.
func serveFailures(t *testing.T, n int32, body string) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		failing := int32(len(bodies)) <= n
		mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, body)
			return
		}
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return srv, &bodies
}

func TestWebhookRetryResendsTheSameBody(t *testing.T) {
	srv, bodies := serveFailures(t, 2, webhookRefused)
	client := &http.Client{Transport: webhookRetryTransport{next: http.DefaultTransport}}
	resp, err := client.Post(srv.URL, "application/json", strings.NewReader(`{"spec":1}`))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 after the webhook came back", resp.StatusCode)
	}
	if len(*bodies) != 3 {
		t.Fatalf("%d requests, want 3", len(*bodies))
	}
	for i, b := range *bodies {
		if b != `{"spec":1}` {
			t.Errorf("request %d sent body %q", i, b)
		}
	}
}

func TestWebhookRetryLeavesOtherServerErrors(t *testing.T) {
	srv, bodies := serveFailures(t, 1, `{"kind":"Status","message":"etcdserver: request timed out","code":500}`)
	client := &http.Client{Transport: webhookRetryTransport{next: http.DefaultTransport}}
	resp, err := client.Post(srv.URL, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "etcdserver") || len(*bodies) != 1 {
		t.Fatalf("status %d body %q after %d requests; want the first answer, unchanged", resp.StatusCode, body, len(*bodies))
	}
}
