package kube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/pkg/apis/clientauthentication"
	clientauthinstall "k8s.io/client-go/pkg/apis/clientauthentication/install"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// NotAPIServerError says that the configured host answered 404 Not Found to
// API discovery, which every Kubernetes API server serves: the address
// points at some other web server, or carries a wrong path prefix.
//
// It deliberately does not unwrap to the 404: callers must never read it
// as "the object is gone" or "the kind is not served", which would drop
// objects from state or wait for a CRD that can never appear.
type NotAPIServerError struct {
	Host string // the configured API server address
	What string // the request that got the 404, e.g. "API discovery (/api, /apis)"
}

func (e *NotAPIServerError) Error() string {
	return fmt.Sprintf("the server at %s answered 404 Not Found to %s, which every Kubernetes API server serves, "+
		"so it does not look like a Kubernetes API server. Check the API server address: host (KUBE_HOST), or the "+
		"server of the kubeconfig's cluster. It must be the API server's own URL (e.g. https://10.0.0.1:6443), "+
		"with a path prefix only if the API server is really served under one; if a proxy is in between "+
		"(proxy_url / KUBE_PROXY_URL, or HTTPS_PROXY), check that it forwards to the API server", e.Host, e.What)
}

// notAPIServer turns a 404 from a discovery request into a *NotAPIServerError;
// any other error is returned unchanged.
func notAPIServer(err error, host, what string) error {
	if err == nil || meta.IsNoMatchError(err) || !apierrors.IsNotFound(err) {
		return err
	}
	return &NotAPIServerError{Host: host, What: what}
}

// ExecPluginError says that the client-go credential plugin (the exec block,
// or the kubeconfig user's exec) exited with an error, and carries what it
// wrote on standard error.
type ExecPluginError struct {
	Command string
	Stderr  string // the end of the plugin's standard error output, empty if it wrote none
	Err     error  // client-go's error, which names only the command and exit code
}

func (e *ExecPluginError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the credential plugin %q (the provider's exec block, or the exec of the kubeconfig's user) "+
		"failed, so the provider has no credentials for the Kubernetes API server: %v", e.Command, e.Err)
	if e.Stderr == "" {
		b.WriteString("\nWhen run once more to capture its output, the plugin wrote nothing on standard error.\n")
	} else {
		fmt.Fprintf(&b, "\nThe plugin's standard error (last %d bytes at most, from running it once more to capture it):\n",
			maxPluginStderr)
		for _, line := range strings.Split(strings.TrimRight(e.Stderr, "\n"), "\n") {
			b.WriteString("  | " + line + "\n")
		}
	}
	b.WriteString("Run the command with the same args and env yourself to see the problem. Usually its own login " +
		"has expired (log in again, e.g. aws sso login or gcloud auth login), or its args or env name the wrong " +
		"account, profile, region or cluster.")
	return b.String()
}

func (e *ExecPluginError) Unwrap() error { return e.Err }

const (
	// maxPluginStderr bounds the plugin output quoted in a diagnostic: the
	// end of it, where a failing command says why.
	maxPluginStderr = 2048
	// pluginRerunTimeout bounds the second run, which only serves the message.
	pluginRerunTimeout = 30 * time.Second
)

// execPlugin explains failures of the credential plugin of one rest.Config.
// client-go runs the plugin with its standard error going to the process's
// own, which Terraform does not show, and offers no way to redirect it; so
// after a failure the plugin is run once more, the way client-go runs it,
// to capture that output. Only its standard error is kept: its standard
// output would be credentials.
type execPlugin struct {
	cfg    *clientcmdapi.ExecConfig
	info   string // the KUBERNETES_EXEC_INFO client-go passes
	stderr func() string
}

// newExecPlugin returns nil when cfg uses no credential plugin.
func newExecPlugin(cfg *rest.Config) *execPlugin {
	if cfg.ExecProvider == nil {
		return nil
	}
	p := &execPlugin{cfg: cfg.ExecProvider, info: execInfo(cfg)}
	// One capture serves every request that failed with the plugin, however
	// many run in parallel.
	p.stderr = sync.OnceValue(p.capture)
	return p
}

// explain returns an *ExecPluginError when err is client-go's report of the
// plugin exiting with an error, and nil otherwise.
func (p *execPlugin) explain(err error) error {
	if p == nil || err == nil {
		return nil
	}
	var already *ExecPluginError
	if errors.As(err, &already) ||
		!strings.Contains(err.Error(), fmt.Sprintf("exec: executable %s failed with exit code", p.cfg.Command)) {
		return nil
	}
	return &ExecPluginError{Command: p.cfg.Command, Stderr: p.stderr(), Err: err}
}

func (p *execPlugin) capture() string {
	ctx, cancel := context.WithTimeout(context.Background(), pluginRerunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.cfg.Command, p.cfg.Args...)
	cmd.Env = os.Environ()
	for _, e := range p.cfg.Env {
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	if p.info != "" {
		cmd.Env = append(cmd.Env, "KUBERNETES_EXEC_INFO="+p.info)
	}
	tail := &tailBuffer{max: maxPluginStderr}
	cmd.Stderr = tail
	_ = cmd.Run() // it failed a moment ago; only what it says matters
	return strings.ToValidUTF8(string(tail.buf), "?")
}

// execInfo encodes the non-interactive ExecCredential request client-go
// hands the plugin, with the cluster when the plugin asks for it.
func execInfo(cfg *rest.Config) string {
	gv, err := schema.ParseGroupVersion(cfg.ExecProvider.APIVersion)
	if err != nil {
		return ""
	}
	cred := &clientauthentication.ExecCredential{}
	if cfg.ExecProvider.ProvideClusterInfo {
		if cred.Spec.Cluster, err = rest.ConfigToExecCluster(cfg); err != nil {
			return ""
		}
	}
	scheme := runtime.NewScheme()
	clientauthinstall.Install(scheme)
	data, err := runtime.Encode(serializer.NewCodecFactory(scheme).LegacyCodec(gv), cred)
	if err != nil {
		return ""
	}
	return string(data)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}
