package kratix

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func testRelease(version string, installed map[string]any) *unstructured.Unstructured {
	obj := map[string]any{
		"apiVersion": "platform.kratix.io/v1alpha1", "kind": "PromiseRelease",
		"metadata": map[string]any{"name": "redis"},
		"spec":     map[string]any{"sourceRef": map[string]any{"type": "http", "url": "http://example.com/promise.yaml"}},
	}
	if version != "" {
		obj["spec"].(map[string]any)["version"] = version
	}
	if installed != nil {
		installed["type"] = CondInstalled
		obj["status"] = map[string]any{"conditions": []any{installed}}
	}
	return &unstructured.Unstructured{Object: obj}
}

func releasedPromise(name, version string) unstructured.Unstructured {
	p := unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": name}}}
	p.SetLabels(map[string]string{LabelPromiseVersion: version, LabelPromiseReleaseName: "redis"})
	return p
}

func installedCond(status, reason, message string, at time.Time) map[string]any {
	return map[string]any{"status": status, "reason": reason, "message": message, "lastTransitionTime": at.Format(time.RFC3339)}
}

func TestReleaseWatch(t *testing.T) {
	applied := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	before, after := applied.Add(-time.Hour), applied.Add(2*time.Second)
	soon, late := applied.Add(time.Second), applied.Add(time.Minute)
	success := func(at time.Time) map[string]any {
		return installedCond("True", ReasonInstalledSuccessfully, "Installed successfully", at)
	}
	fetchFailed := func(at time.Time) map[string]any {
		return installedCond("False", ReasonFailedToFetchPromise, "Failed to fetch Promise from URL", at)
	}
	cases := []struct {
		name     string
		created  bool
		release  *unstructured.Unstructured
		promises []unstructured.Unstructured
		now      time.Time
		want     State
		promise  string
		summary  string
	}{
		{name: "not found", release: nil, want: Waiting, summary: "does not exist"},
		{name: "version not recorded yet", created: true, release: testRelease("", nil), want: Waiting, summary: "record its version"},
		{name: "nothing installed yet", created: true, release: testRelease("v1", nil), want: Waiting, summary: "install version v1"},
		{name: "installed", created: true, release: testRelease("v1", success(after)),
			promises: []unstructured.Unstructured{releasedPromise("redis", "v1")}, want: Done, promise: "redis"},
		{name: "promise at the version, condition not yet written", created: true, release: testRelease("v1", nil),
			promises: []unstructured.Unstructured{releasedPromise("redis", "v1")}, want: Waiting, summary: "report the release Installed"},
		{name: "stale success after a version change", release: testRelease("v2", success(before)),
			promises: []unstructured.Unstructured{releasedPromise("redis", "v1")}, now: late, want: Waiting, summary: `is at version "v1"`},
		{name: "fetch failure on create", created: true, release: testRelease("v1", fetchFailed(before)), want: Failed,
			summary: "FailedToFetchPromise: Failed to fetch Promise from URL) for http://example.com/promise.yaml"},
		{name: "fresh failure after an update", release: testRelease("v1", fetchFailed(after)), now: after, want: Failed, summary: "reachable"},
		{name: "old failure right after an update", release: testRelease("v1", fetchFailed(before)), now: soon, want: Waiting, summary: "previous spec"},
		{name: "old failure that stays", release: testRelease("v1", fetchFailed(before)), now: late, want: Failed, summary: "FailedToFetchPromise"},
		{name: "version mismatch", created: true, release: testRelease("v9", installedCond("False", ReasonVersionNotMatching,
			"Version labels do not match, found: v1, expected: v9", after)), want: Failed, summary: `asks for version "v9"`},
		{name: "no version label", created: true, release: testRelease("", installedCond("False", ReasonVersionLabelNotFound,
			"Version label not found on Promise", after)), want: Failed, summary: "has no kratix.io/promise-version label"},
		{name: "two promises", created: true, release: testRelease("v1", success(after)),
			promises: []unstructured.Unstructured{releasedPromise("a", "v1"), releasedPromise("b", "v1")}, want: Failed, summary: "2 Promises"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &ReleaseWatch{AppliedAt: applied, Created: tc.created, StaleGrace: 5 * time.Second}
			now := tc.now
			if now.IsZero() {
				now = after
			}
			got := w.Observe(tc.release, tc.promises, now)
			if got.State != tc.want || got.Promise != tc.promise || !strings.Contains(got.Summary, tc.summary) {
				t.Errorf("got %v %q %q, want %v %q and a summary with %q", got.State, got.Promise, got.Summary, tc.want, tc.promise, tc.summary)
			}
		})
	}
}

func TestFetchReleasedPromise(t *testing.T) {
	const promise = "apiVersion: platform.kratix.io/v1alpha1\nkind: Promise\nmetadata:\n  name: redis\n  labels:\n    kratix.io/promise-version: v1.2.0\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/promise.yaml":
			_, _ = io.WriteString(w, promise)
		case "/private.yaml":
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_, _ = io.WriteString(w, promise)
		case "/unlabelled.json":
			_, _ = io.WriteString(w, `{"apiVersion":"platform.kratix.io/v1alpha1","kind":"Promise","metadata":{"name":"bare"}}`)
		case "/two.yaml":
			_, _ = io.WriteString(w, promise+"---\n"+promise)
		case "/configmap.yaml":
			_, _ = io.WriteString(w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	got, err := FetchReleasedPromise(ctx, srv.URL+"/promise.yaml", "")
	if err != nil || got != (ReleasedPromise{Name: "redis", Version: "v1.2.0", HasVersion: true}) {
		t.Errorf("promise.yaml: got %+v, %v", got, err)
	}
	if got, err := FetchReleasedPromise(ctx, srv.URL+"/private.yaml", "Bearer s3cret"); err != nil || got.Name != "redis" {
		t.Errorf("with the Authorization header: got %+v, %v", got, err)
	}
	if got, err := FetchReleasedPromise(ctx, srv.URL+"/unlabelled.json", ""); err != nil || got.Name != "bare" || got.HasVersion {
		t.Errorf("unlabelled: got %+v, %v", got, err)
	}
	for path, want := range map[string]string{
		"/private.yaml":   "status code 401",
		"/missing.yaml":   "status code 404",
		"/two.yaml":       "found more",
		"/configmap.yaml": `found kind "ConfigMap"`,
	} {
		if _, err := FetchReleasedPromise(ctx, srv.URL+path, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got error %v, want one with %q", path, err, want)
		}
	}
}
