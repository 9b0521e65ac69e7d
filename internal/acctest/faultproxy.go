package acctest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FaultProxy stands between the provider and the platform's API server and
// injects the faults a real cluster shows, which a healthy loopback API
// server never does on its own: an outage (every connection dropped, as
// while kube-apiserver restarts), a server whose packets are dropped (the
// black hole: nothing is ever answered), discovery that does not list an API
// group yet (as right after a restart, before the CRD groups are back), and
// admission webhooks that do not answer.
// It can also leave an object out of list responses (HideFromLists).
// Everything else is passed through unchanged, watches included. It also
// records every request, so a test can check how the provider uses the API
// server (how many watches, which page sizes).
type FaultProxy struct {
	server *httptest.Server
	env    *Env

	mu     sync.Mutex
	down   bool
	hidden map[string]bool
	// trigger starts an outage when a request with this method arrives.
	trigger       string
	triggerOutage time.Duration
	// failing answers the first failLeft requests it matches with a 503.
	failing  func(*http.Request) bool
	failLeft int32
	faults   int32
	// webhookDown answers writes under these API groups as the API server
	// does when their admission webhook's server is down.
	webhookDown map[string]bool
	// forbidden answers the requests it matches with RBAC's 403.
	forbidden func(*http.Request) bool
	// seen is every request received, for tests that check how the
	// provider uses the API server (how many watches, which page sizes).
	seen []SeenRequest
	// unlisted maps a collection's path to the names of objects the
	// proxy drops from its list responses (see HideFromLists).
	unlisted map[string]map[string]bool
	// blackHole holds new connections and requests without an answer.
	blackHole bool
	held      []net.Conn
}

// SeenRequest is one request the proxy received.
type SeenRequest struct {
	Method string
	URL    url.URL
}

// Watch tells whether the request is a watch.
func (r SeenRequest) Watch() bool { return r.URL.Query().Get("watch") == "true" }

// StartFaultProxy starts a proxy to the platform's API server for the test.
// It needs the platform's admin token, so it skips on an existing cluster.
func (e *Env) StartFaultProxy(t *testing.T) *FaultProxy {
	t.Helper()
	SkipOnExisting(t)
	upstream, err := url.Parse(e.Host)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.CAData)
	p := &FaultProxy{env: e, hidden: map[string]bool{}, unlisted: map[string]map[string]bool{}}
	rp := httputil.NewSingleHostReverseProxy(upstream)
	rp.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	rp.FlushInterval = -1 // stream watches
	rp.ModifyResponse = func(resp *http.Response) error {
		if err := p.filterDiscovery(resp); err != nil {
			return err
		}
		return p.filterList(resp)
	}
	p.server = httptest.NewUnstartedServer(p.handler(rp))
	p.server.Listener = holdingListener{Listener: p.server.Listener, p: p}
	p.server.StartTLS()
	t.Cleanup(func() {
		p.SetBlackHole(false) // ends the held requests, which Close waits for
		p.server.Close()
	})
	return p
}

// ProviderConfig is a provider block that connects through the proxy as the
// platform admin.
func (p *FaultProxy) ProviderConfig() string {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.server.Certificate().Raw})
	return RequiredProviders + fmt.Sprintf(`provider "kratix" {
  host                   = %q
  token                  = %q
  cluster_ca_certificate = %q
}
`, p.server.URL, p.env.AdminToken, string(ca))
}

// URL is the proxy's address, which ProviderConfig names as host.
func (p *FaultProxy) URL() string { return p.server.URL }

// SetDown drops every connection while down is true.
func (p *FaultProxy) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

// SetBlackHole makes the proxy look, while on, like an API server whose
// packets are dropped (a CI runner outside the cluster's private network):
// new connections are accepted and held without a TLS handshake, and
// requests on connections made before are held without an answer, until
// the client gives up. Unlike SetDown, nothing is refused or closed, so
// the client learns of the fault only from its own timeouts. Turning it
// off closes what was held.
func (p *FaultProxy) SetBlackHole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackHole = on
	if on {
		return
	}
	for _, c := range p.held {
		_ = c.Close()
	}
	p.held = nil
}

func (p *FaultProxy) blackHoled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.blackHole
}

// hold keeps a new connection, unanswered, while the black hole is on.
func (p *FaultProxy) hold(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.blackHole {
		p.held = append(p.held, c)
	}
	return p.blackHole
}

// holdingListener hands the server only the connections the black hole
// does not hold; it sits below TLS, so a held one never gets a handshake.
type holdingListener struct {
	net.Listener
	p *FaultProxy
}

func (l holdingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.p.hold(c) {
			return c, err
		}
	}
}

// holdRequest answers nothing until the client gives up or the black hole
// ends, then drops the connection.
func (p *FaultProxy) holdRequest(w http.ResponseWriter, r *http.Request) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for p.blackHoled() {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
	dropConnection(w)
}

// HideGroup makes discovery leave out an API group and every request under
// /apis/<group> answer 404, as the API server does before it serves a CRD.
func (p *FaultProxy) HideGroup(group string, hidden bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hidden[group] = hidden
}

// OutageOnFirst arms an outage of length d that starts with the first
// request of this method (for example DELETE), so a test can put the outage
// exactly where an operation is.
func (p *FaultProxy) OutageOnFirst(method string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trigger, p.triggerOutage = method, d
}

// FailFirst answers the first n requests that match with 503 Service
// Unavailable, as an API server that is restarting does.
func (p *FaultProxy) FailFirst(n int32, match func(*http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failing, p.failLeft = match, n
}

// RefuseWebhooks makes every write (POST, PUT, PATCH) under /apis/<group>
// fail with the 500 the API server gives when it cannot call the group's
// admission webhook: what Kratix's own kinds get while Kratix's controller
// manager, which serves their webhooks, is not running.
func (p *FaultProxy) RefuseWebhooks(group string, refused bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.webhookDown == nil {
		p.webhookDown = map[string]bool{}
	}
	p.webhookDown[group] = refused
}

func (p *FaultProxy) webhookRefused(r *http.Request) bool {
	group, ok := apiGroupOf(r.URL.Path)
	if !ok || r.Method == http.MethodGet || r.Method == http.MethodDelete {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.webhookDown[group]
}

// webhookDownStatus is the API server's answer for a webhook it cannot call.
const webhookDownStatus = `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Internal error occurred: ` +
	`failed calling webhook \"mpromise.kb.io\": failed to call webhook: Post \"https://127.0.0.1:9443/mutate-platform-kratix-io-v1alpha1-promise?timeout=10s\": ` +
	`dial tcp 127.0.0.1:9443: connect: connection refused","reason":"InternalError","details":{"causes":[{"message":"failed calling webhook"}]},"code":500}`

// Faults is how many requests FailFirst has answered with a 503, so a test
// can check that its fault was met.
func (p *FaultProxy) Faults() int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

// Forbid answers the requests that match with 403 Forbidden, as the API
// server does when RBAC does not allow them.
func (p *FaultProxy) Forbid(match func(*http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forbidden = match
}

// Requests returns the requests received so far that match, in order.
func (p *FaultProxy) Requests(match func(SeenRequest) bool) []SeenRequest {
	return p.RequestsSince(0, match)
}

// RequestsSince returns the requests received after mark (see Mark) that
// match, in order.
func (p *FaultProxy) RequestsSince(mark int, match func(SeenRequest) bool) []SeenRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []SeenRequest
	for _, r := range p.seen[min(mark, len(p.seen)):] {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

// Verb is the request's Kubernetes verb as the API server counts it: GET
// of a collection is LIST, and WATCH when watching; GET of an object is
// GET; POST is CREATE; PUT is UPDATE; PATCH and DELETE are themselves.
func (r SeenRequest) Verb(collection string) string {
	switch {
	case r.Method == http.MethodGet && r.Watch():
		return "WATCH"
	case r.Method == http.MethodGet && r.URL.Path == collection:
		return "LIST"
	case r.Method == http.MethodPost:
		return "CREATE"
	case r.Method == http.MethodPut:
		return "UPDATE"
	}
	return r.Method
}

// Mark is how many requests the proxy has received so far, for
// CountSince.
func (p *FaultProxy) Mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.seen)
}

// CountSince counts the requests received after mark for the objects of
// one collection (its path, e.g.
// /apis/test.kratix.io/v1alpha1/namespaces/default/widgets: the
// collection and the objects in it, subresources excluded) by verb, as
// SeenRequest.Verb names it.
func (p *FaultProxy) CountSince(mark int, collection string) map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for _, r := range p.seen[min(mark, len(p.seen)):] {
		rest, ok := strings.CutPrefix(r.URL.Path, collection)
		if !ok || (rest != "" && (rest[0] != '/' || strings.Contains(rest[1:], "/"))) {
			continue
		}
		out[r.Verb(collection)]++
	}
	return out
}

// HideFromLists makes list responses of collection (a path as for
// CountSince) leave out the object name, while a GET of the object still
// finds it: a list that, for whatever reason, lacks an object that exists.
func (p *FaultProxy) HideFromLists(collection, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.unlisted[collection] == nil {
		p.unlisted[collection] = map[string]bool{}
	}
	p.unlisted[collection][name] = true
}

func (p *FaultProxy) unlistedIn(path string) map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unlisted[path]
}

// filterList drops the objects HideFromLists names from list responses.
func (p *FaultProxy) filterList(resp *http.Response) error {
	names := p.unlistedIn(resp.Request.URL.Path)
	if len(names) == 0 || resp.Request.Method != http.MethodGet || resp.Request.URL.Query().Get("watch") == "true" ||
		resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err == nil {
		if items, ok := doc["items"].([]any); ok {
			kept := items[:0:0]
			for _, item := range items {
				obj, _ := item.(map[string]any)
				meta, _ := obj["metadata"].(map[string]any)
				if name, _ := meta["name"].(string); !names[name] {
					kept = append(kept, item)
				}
			}
			doc["items"] = kept
			if out, err := json.Marshal(doc); err == nil {
				body = out
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Del("Content-Encoding")
	return nil
}

func (p *FaultProxy) record(r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, SeenRequest{Method: r.Method, URL: *r.URL})
}

func (p *FaultProxy) isForbidden(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forbidden != nil && p.forbidden(r)
}

func (p *FaultProxy) shouldFail(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failing == nil || p.failLeft == 0 || !p.failing(r) {
		return false
	}
	p.failLeft--
	p.faults++
	return true
}

func (p *FaultProxy) isDown(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.trigger != "" && r.Method == p.trigger {
		p.trigger, p.down = "", true
		time.AfterFunc(p.triggerOutage, func() { p.SetDown(false) })
	}
	return p.down
}

func (p *FaultProxy) isHidden(group string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hidden[group]
}

func (p *FaultProxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.record(r)
		if p.blackHoled() {
			p.holdRequest(w, r)
			return
		}
		if p.isDown(r) {
			dropConnection(w)
			return
		}
		if p.shouldFail(r) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server is restarting","reason":"ServiceUnavailable","code":503}`))
			return
		}
		if p.isForbidden(r) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":%q,"reason":"Forbidden","code":403}`,
				"forbidden: the fault proxy refuses "+r.Method+" "+r.URL.Path)
			return
		}
		if p.webhookRefused(r) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(webhookDownStatus))
			return
		}
		if group, ok := apiGroupOf(r.URL.Path); ok && p.isHidden(group) {
			http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`, http.StatusNotFound)
			return
		}
		if r.URL.Path == "/apis" || len(p.unlistedIn(r.URL.Path)) > 0 {
			r.Header.Set("Accept-Encoding", "identity") // the body is rewritten
		}
		next.ServeHTTP(w, r)
	})
}

// dropConnection closes the client's connection without an answer, as a
// stopped API server does.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// apiGroupOf returns the group of a path under /apis/<group>/...
func apiGroupOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/apis/")
	if !ok {
		return "", false
	}
	group, _, _ := strings.Cut(rest, "/")
	return group, group != ""
}

// filterDiscovery removes hidden groups from /apis, in both the legacy
// APIGroupList ("groups") and the aggregated APIGroupDiscoveryList
// ("items") form.
func (p *FaultProxy) filterDiscovery(resp *http.Response) error {
	if resp.Request.URL.Path != "/apis" || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err == nil {
		for _, key := range []string{"groups", "items"} {
			if list, ok := doc[key].([]any); ok {
				doc[key] = p.visibleGroups(list)
			}
		}
		if out, err := json.Marshal(doc); err == nil {
			body = out
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Del("Etag") // the client must not reuse a cached, unfiltered list
	return nil
}

func (p *FaultProxy) visibleGroups(list []any) []any {
	out := list[:0:0]
	for _, item := range list {
		m, _ := item.(map[string]any)
		name, _ := m["name"].(string)
		if meta, ok := m["metadata"].(map[string]any); ok {
			name, _ = meta["name"].(string)
		}
		if !p.isHidden(name) {
			out = append(out, item)
		}
	}
	return out
}
