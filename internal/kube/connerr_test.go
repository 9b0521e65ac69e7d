package kube

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestNotAPIServer talks to a web server that answers 404 to everything:
// every way in names the URL and says it is not an API server, and none
// reads as a missing object or an unserved kind.
func TestNotAPIServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	host := srv.URL + "/prefix"
	c := NewForConfig(&rest.Config{Host: host, BearerToken: "not-checked"}, Options{RetryBackoff: fastBackoff})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, mapErr := c.Mapping(ctx, widgetGVK)
	_, getErr := c.Get(ctx, widgetGVK, "ns", "w")
	delErr := c.Delete(ctx, widgetGVK, "ns", "w", metav1.DeleteOptions{})
	_, waitErr := c.WaitForKind(ctx, widgetGVK)
	_, versionErr := c.ServerVersion(ctx)
	for name, err := range map[string]error{"mapping": mapErr, "get": getErr, "delete": delErr, "wait for kind": waitErr, "version": versionErr} {
		t.Run(name, func(t *testing.T) {
			assertContains(t, err, "the server at "+host+" answered 404 Not Found", "does not look like a Kubernetes API server",
				"host (KUBE_HOST)", "path prefix", "proxy")
			var nas *NotAPIServerError
			if !errors.As(err, &nas) || nas.Host != host {
				t.Errorf("not a *NotAPIServerError for %s: %#v", host, err)
			}
			if IsNotFound(err) || IsKindNotServed(err) {
				t.Error("a host that is no API server must not read as a missing object or kind")
			}
		})
	}
	assertContains(t, mapErr, "/api, /apis")
	assertContains(t, versionErr, "/version")
	if ctx.Err() != nil {
		t.Error("waiting for the kind did not stop at the 404")
	}
}

// TestExecPluginStderr runs a credential plugin that fails after writing
// more than the quoted maximum on standard error: the error names the
// command and quotes the end of that output, which client-go alone drops.
func TestExecPluginStderr(t *testing.T) {
	notInCluster(t)
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	plugin := filepath.Join(t.TempDir(), "plugin.sh")
	script := "#!/bin/sh\nhead -c 3000 /dev/zero | tr '\\0' x >&2\necho >&2\n" +
		"echo \"info: $KUBERNETES_EXEC_INFO\" >&2\necho \"profile: $PROFILE\" >&2\necho 'token expired, log in again' >&2\nexit 3\n"
	if err := os.WriteFile(plugin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c := New(Settings{Host: srv.URL, Insecure: true, Exec: &ExecSettings{
		APIVersion: "client.authentication.k8s.io/v1beta1", Command: plugin, Env: map[string]string{"PROFILE": "platform"},
	}}, Options{RetryBackoff: fastBackoff})

	_, err := c.Mapping(context.Background(), widgetGVK)
	assertContains(t, err, `the credential plugin "`+plugin+`"`, "exit code 3", "  | token expired, log in again",
		"  | profile: platform", `"kind":"ExecCredential"`, "Run the command")
	var pe *ExecPluginError
	if !errors.As(err, &pe) {
		t.Fatalf("not an *ExecPluginError: %#v", err)
	}
	if len(pe.Stderr) > maxPluginStderr || !strings.HasSuffix(pe.Stderr, "log in again\n") {
		t.Errorf("stderr is not the last %d bytes: %d bytes ending %q", maxPluginStderr, len(pe.Stderr), pe.Stderr[max(0, len(pe.Stderr)-40):])
	}
	if IsUnauthorized(err) || IsNotFound(err) {
		t.Error("a failed plugin must not read as an API answer")
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	tb := &tailBuffer{max: 4}
	for _, s := range []string{"ab", "cdef", "g"} {
		if n, err := tb.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := string(tb.buf); got != "defg" {
		t.Errorf("kept %q, want %q", got, "defg")
	}
}
