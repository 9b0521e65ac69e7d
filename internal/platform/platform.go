// Package platform starts a real local Kubernetes control plane (etcd,
// kube-apiserver and kube-controller-manager on loopback, with TLS, RBAC, an
// admin client certificate and static tokens) and Kratix on it. The
// acceptance tests and `make demo` run the provider against it. In real mode
// (ModeReal) it installs Kratix's own CRDs, webhooks and RBAC from the pinned
// Kratix module and runs Kratix's controller manager, and package podrunner
// plays the kubelet for its pipeline pods; the platform itself plays it for
// the manager, which it starts again when it exits (as a kubelet restarts a
// Deployment's crashed pod). In emulator mode it installs the
// project-written CRDs and package emulator plays the controller.
package platform

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Tokens the API server accepts from its static token file. They exist only
// on this throwaway loopback platform.
const (
	adminTokenUser   = "kratix-admin"
	limitedTokenUser = "tf-limited"
)

// Options tune a platform run.
type Options struct {
	// BinDir holds the binaries; empty means EnsureBinaries decides.
	BinDir string
	// WorkDir keeps data, certificates, logs and the kubeconfig. Empty means
	// a new temporary directory that Stop removes.
	WorkDir string
	// Logf receives progress messages; nil discards them.
	Logf func(format string, args ...any)
	// Mode is what plays Kratix; empty means ModeEmulator.
	Mode Mode
}

// Platform is a running local control plane.
type Platform struct {
	WorkDir        string
	KubeconfigPath string
	Host           string
	CAData         []byte
	AdminCertData  []byte
	AdminKeyData   []byte
	// AdminToken authenticates as a member of system:masters.
	AdminToken string
	// LimitedToken authenticates as user "tf-limited", which RBAC grants
	// nothing: tests use it to see the provider's 403 diagnostics.
	LimitedToken string
	LimitedUser  string

	// Mode is what plays Kratix on this platform.
	Mode Mode
	// Kratix are the real Kratix binaries and module source (real mode).
	Kratix *KratixBinaries
	// KratixStartup is how long the real manager took to become ready.
	KratixStartup time.Duration

	// ca signs the platform's serving certificates (LoopbackServingCert).
	ca                *keyPair
	mu                sync.Mutex // procs and record, which restarts update
	procs             []*process
	ownsWorkDir       bool
	record            string
	unlockWebhookPort func()
}

// Start builds (or finds) the binaries, starts etcd, kube-apiserver and
// kube-controller-manager, waits for /readyz, and installs Kratix: in
// emulator mode the project's CRDs, in real mode Kratix's own CRDs, webhooks
// and RBAC and its running manager (waiting first if another real-mode
// platform holds port 9443).
func Start(ctx context.Context, opts Options) (p *Platform, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := ReapOrphans(); err != nil {
		logf("reaping orphaned platform processes: %v", err)
	}
	binDir, kratixBins, err := EnsureModeBinaries(ctx, opts.Mode, opts.BinDir, logf)
	if err != nil {
		return nil, err
	}
	// started, not the named result (a failed return sets that to nil),
	// is what the deferred cleanup stops.
	started := &Platform{WorkDir: opts.WorkDir, Mode: opts.Mode}
	p = started
	if p.Mode == "" {
		p.Mode = ModeEmulator
	}
	if p.WorkDir == "" {
		if p.WorkDir, err = os.MkdirTemp("", "kratix-platform-"); err != nil {
			return nil, err
		}
		p.ownsWorkDir = true
	}
	defer func() {
		if err != nil {
			_ = started.Stop()
		}
	}()
	p.Kratix = kratixBins
	if err = p.start(ctx, binDir, logf); err != nil {
		return nil, err
	}
	return p, nil
}

// apiServerReadyTimeout bounds the wait for kube-apiserver's /readyz, and
// componentReadyTimeout that for the other components' health endpoints.
// A loaded machine (CI starts several platforms at once, beside builds)
// has taken more than a minute to bootstrap kube-apiserver's RBAC roles; a
// crashed process still fails at once (Healthy).
const (
	apiServerReadyTimeout = 5 * time.Minute
	componentReadyTimeout = 5 * time.Minute
)

func (p *Platform) start(ctx context.Context, binDir string, logf func(string, ...any)) error {
	started := time.Now()
	pki, err := p.writePKI()
	if err != nil {
		return fmt.Errorf("writing certificates: %w", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	p.Host = "https://127.0.0.1:" + strconv.Itoa(ports[2])

	if err := p.run("etcd", filepath.Join(binDir, binEtcd), etcdArgs(p.WorkDir, etcdURL, peerURL), etcdEnv()); err != nil {
		return err
	}
	if err := p.run("kube-apiserver", filepath.Join(binDir, binKubeAPIServer), apiServerArgs(pki, etcdURL, ports[2]), os.Environ()); err != nil {
		return err
	}
	if err := p.waitReady(ctx); err != nil {
		return err
	}
	if err := p.writeKubeconfigs(pki); err != nil {
		return err
	}
	if err := p.run("kube-controller-manager", filepath.Join(binDir, binControllerManager), controllerManagerArgs(pki, p.Mode), os.Environ()); err != nil {
		return err
	}
	if err := p.bootstrap(ctx); err != nil {
		return err
	}
	if p.Mode == ModeReal {
		if err := p.startKratix(ctx, pki, logf); err != nil {
			return err
		}
		logf("real Kratix manager ready in %s", p.KratixStartup.Round(time.Millisecond))
	}
	logf("platform ready at %s in %s (kubeconfig %s)", p.Host, time.Since(started).Round(time.Millisecond), p.KubeconfigPath)
	return nil
}

// run starts one binary and records it for Stop and for ReapOrphans.
func (p *Platform) run(name, bin string, args, env []string) error {
	return p.runWith(name, bin, args, env, nil)
}

// runWith is run with a restart policy (nil: none).
func (p *Platform) runWith(name, bin string, args, env []string, restart *restartPolicy) error {
	proc, err := startSupervised(name, bin, args, env, p.WorkDir, restart, func() { _ = p.registerProcs() })
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.procs = append(p.procs, proc)
	p.mu.Unlock()
	return p.registerProcs()
}

// registerProcs records the pids of the platform's processes (again after
// a restart) for ReapOrphans.
func (p *Platform) registerProcs() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	pids := make([]int, 0, len(p.procs))
	for _, pr := range p.procs {
		pids = append(pids, pr.pid())
	}
	if p.record != "" {
		_ = os.Remove(p.record)
	}
	var err error
	p.record, err = register(pids, p.WorkDir)
	return err
}

// AdminConfig is a client configuration with cluster-admin rights.
func (p *Platform) AdminConfig() *rest.Config {
	return &rest.Config{
		Host:            p.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: p.CAData, CertData: p.AdminCertData, KeyData: p.AdminKeyData},
		QPS:             200,
		Burst:           400,
	}
}

// Stop ends every process, newest first, and removes a temporary work dir.
func (p *Platform) Stop() error {
	p.mu.Lock()
	procs := p.procs
	p.procs = nil
	p.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(10 * time.Second)
	}
	p.releaseManagerTmpDir()
	p.mu.Lock()
	if p.record != "" {
		_ = os.Remove(p.record)
	}
	p.mu.Unlock()
	if p.unlockWebhookPort != nil {
		p.unlockWebhookPort()
		p.unlockWebhookPort = nil
	}
	if p.ownsWorkDir {
		return os.RemoveAll(p.WorkDir)
	}
	return nil
}

// Healthy reports the first process that has died, if any.
func (p *Platform) Healthy() error {
	p.mu.Lock()
	procs := p.procs
	p.mu.Unlock()
	var errs []error
	for _, proc := range procs {
		errs = append(errs, proc.exited())
	}
	return errors.Join(errs...)
}

// waitReady polls /readyz: a process start has nothing to watch yet.
func (p *Platform) waitReady(ctx context.Context) error {
	client, err := rest.UnversionedRESTClientFor(&rest.Config{
		Host:            p.Host,
		TLSClientConfig: rest.TLSClientConfig{CAData: p.CAData},
		BearerToken:     p.AdminToken,
		ContentConfig:   rest.ContentConfig{NegotiatedSerializer: kubernetesScheme()},
	})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(apiServerReadyTimeout)
	for {
		if err := p.Healthy(); err != nil {
			return err
		}
		body, err := client.Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && strings.TrimSpace(string(body)) == "ok" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kube-apiserver at %s not ready after %s: %v (log: %s)", p.Host, apiServerReadyTimeout, err, filepath.Join(p.WorkDir, "kube-apiserver.log"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// bootstrap creates what Kratix itself would have on a platform cluster.
func (p *Platform) bootstrap(ctx context.Context) error {
	cfg := p.AdminConfig()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kratix-platform-system"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !isAlreadyExists(err) {
		return fmt.Errorf("creating namespace kratix-platform-system: %w", err)
	}
	if p.Mode == ModeReal {
		return nil // startKratix installs Kratix's own CRDs
	}
	return InstallCRDs(ctx, cfg)
}

func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		listeners = append(listeners, l)
		addr, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			return nil, fmt.Errorf("unexpected listener address %v", l.Addr())
		}
		ports = append(ports, addr.Port)
	}
	return ports, nil
}
