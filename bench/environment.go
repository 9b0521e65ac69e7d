package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/kratix-community/terraform-provider-kratix/bench/rttproxy"
	"github.com/kratix-community/terraform-provider-kratix/internal/emulator"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
	"github.com/kratix-community/terraform-provider-kratix/internal/podrunner"
)

// Versions and locations of what is benchmarked besides this provider.
const (
	kubectlProviderModule  = "github.com/gavinbunney/terraform-provider-kubectl"
	kubectlProviderVersion = "v1.19.0"
	kubectlProviderAddress = "gavinbunney/kubectl"
	kratixProviderAddress  = "kratix-community/kratix"
	echoProviderAddress    = "kratix-community/benchecho"
	schemaProviderAddress  = "kratix-community/benchschema"

	promiseFile = "internal/testdata/kratix-marketplace/redis/promise.yaml"
	requestFile = "internal/testdata/kratix-marketplace/redis/resource-request.yaml"

	// User agents of the harness's own clients. Audit events from any
	// other agent of the admin user are the provider's.
	harnessUA    = "kratix-bench/harness"
	controllerUA = "kratix-bench/controller"
	adminUser    = "kratix-admin"

	benchNamespace = "default"
	namePrefix     = "bench-"
)

// tools are the binaries the contenders need.
type tools struct {
	CLIConfig        string // TF_CLI_CONFIG_FILE with dev_overrides for every provider
	KratixDir        string
	EchoDir          string // the plugin floor, bench/echoprovider
	SchemaDir        string // the schema floor, bench/schemafloor
	KubectlDir       string
	TerraformVersion string
	Commit           string
}

// prepareTools builds this provider and the plugin and schema floors from
// the tree, makes sure the kubectl provider is in the tools cache (go install into GOBIN, so it never
// touches this module's go.mod), and writes the CLI configuration.
func prepareTools(ctx context.Context, s settings) (*tools, error) {
	t := &tools{
		KratixDir: filepath.Join(s.Out, "work", "providers", "kratix"),
		EchoDir:   filepath.Join(s.Out, "work", "providers", "benchecho"),
		SchemaDir: filepath.Join(s.Out, "work", "providers", "benchschema"),
	}
	logf("building terraform-provider-kratix and the plugin and schema floors from %s", s.Root)
	if err := goBuild(ctx, s.Root, filepath.Join(t.KratixDir, "terraform-provider-kratix"), "."); err != nil {
		return nil, err
	}
	if err := goBuild(ctx, s.Root, filepath.Join(t.EchoDir, "terraform-provider-benchecho"), "./bench/echoprovider"); err != nil {
		return nil, err
	}
	if err := goBuild(ctx, s.Root, filepath.Join(t.SchemaDir, "terraform-provider-benchschema"), "./bench/schemafloor"); err != nil {
		return nil, err
	}
	cache, err := platform.CacheDir()
	if err != nil {
		return nil, err
	}
	t.KubectlDir = filepath.Join(cache, "kubectl-provider-"+kubectlProviderVersion)
	if _, err := os.Stat(filepath.Join(t.KubectlDir, "terraform-provider-kubectl")); err != nil {
		logf("installing %s@%s into %s (about 1.5 min)", kubectlProviderModule, kubectlProviderVersion, t.KubectlDir)
		install := exec.CommandContext(ctx, "go", "install", kubectlProviderModule+"@"+kubectlProviderVersion)
		install.Dir = os.TempDir() // outside this module: go install pkg@version ignores it anyway
		install.Env = append(os.Environ(), "GOBIN="+t.KubectlDir, "GOFLAGS=-mod=mod")
		if out, err := install.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("installing the kubectl provider: %w\n%s", err, out)
		}
	}
	t.CLIConfig = filepath.Join(s.Out, "work", "terraformrc")
	rc := "provider_installation {\n  dev_overrides {\n"
	for _, o := range [][2]string{{kratixProviderAddress, t.KratixDir}, {kubectlProviderAddress, t.KubectlDir}, {echoProviderAddress, t.EchoDir}, {schemaProviderAddress, t.SchemaDir}} {
		rc += fmt.Sprintf("    %q = %q\n", o[0], o[1])
	}
	rc += "  }\n  direct {}\n}\n"
	if err := os.WriteFile(t.CLIConfig, []byte(rc), 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "terraform", "version").Output(); err == nil {
		t.TerraformVersion = strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
	}
	if out, err := exec.CommandContext(ctx, "git", "-C", s.Root, "rev-parse", "--short", "HEAD").Output(); err == nil {
		t.Commit = strings.TrimSpace(string(out))
		if out, err := exec.CommandContext(ctx, "git", "-C", s.Root, "status", "--porcelain").Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
			t.Commit += " (with uncommitted changes)"
		}
	}
	return t, nil
}

func goBuild(ctx context.Context, root, out, pkg string) error {
	build := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return nil
}

// environment is the running platform, what plays Kratix on it, and the
// Promise.
type environment struct {
	p        *platform.Platform
	cancel   context.CancelFunc
	ctrlDone chan struct{}
	dyn      dynamic.Interface
	auditLog string
	// kubeconfig is what the contenders get: the platform's, or with
	// BENCH_RTT a copy that points at the delaying proxy.
	kubeconfig string
	proxy      *rttproxy.Proxy
	done       *doneRecorder

	requestGVR       schema.GroupVersionResource
	apiVersion, kind string
	spec             map[string]any
	controllerLog    *os.File
}

// startEnvironment starts the platform with an audit log and what plays
// Kratix (the emulator in-process, or the real Kratix manager with the pod
// runner), and installs the Promise.
func startEnvironment(ctx context.Context, s settings) (*environment, error) {
	work := filepath.Join(s.Out, "work", "platform")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	binDir, auditLog, err := auditingBinDir(ctx, work)
	if err != nil {
		return nil, err
	}
	logf("starting the local platform (%s mode) in %s", s.Mode, work)
	p, err := platform.Start(ctx, platform.Options{BinDir: binDir, WorkDir: filepath.Join(work, "run"), Logf: logf, Mode: s.Mode})
	if err != nil {
		return nil, err
	}
	e := &environment{p: p, auditLog: auditLog, kubeconfig: p.KubeconfigPath, done: newDoneRecorder(), ctrlDone: make(chan struct{})}
	if err := e.start(ctx, s); err != nil {
		e.stop()
		return nil, err
	}
	if s.RTT > 0 {
		if err := e.startProxy(time.Duration(s.RTT), filepath.Join(work, "kubeconfig-rtt")); err != nil {
			e.stop()
			return nil, err
		}
	}
	return e, nil
}

// startProxy puts the delay line between the contenders and the API
// server: it listens on loopback, forwards to the API server's port, and the
// contenders' kubeconfig is a copy of the platform's naming the proxy (the
// API server's certificate is for 127.0.0.1, so TLS verification holds).
func (e *environment) startProxy(rtt time.Duration, kubeconfig string) error {
	u, err := url.Parse(e.p.Host)
	if err != nil {
		return err
	}
	if e.proxy, err = rttproxy.Start("127.0.0.1:0", u.Host, rtt); err != nil {
		return err
	}
	cfg, err := clientcmd.LoadFromFile(e.kubeconfig)
	if err != nil {
		return err
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + e.proxy.Addr()
	}
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		return err
	}
	e.kubeconfig = kubeconfig
	logf("Terraform reaches the API server through a delay line adding %s per round trip (%s each way): %s", rtt, rtt/2, e.proxy.Addr())
	return nil
}

// proxyConnections is how many connections the contenders have opened
// through the delaying proxy (0 without BENCH_RTT).
func (e *environment) proxyConnections() int64 {
	if e.proxy == nil {
		return 0
	}
	return e.proxy.Connections()
}

func (e *environment) start(ctx context.Context, s settings) (err error) {
	if e.controllerLog, err = os.Create(filepath.Join(s.Out, "work", "controller.log")); err != nil {
		return err
	}
	cfg := e.p.AdminConfig()
	cfg.UserAgent = harnessUA
	if e.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return err
	}
	ready, run, err := e.controller(s)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() {
		defer close(e.ctrlDone)
		_ = run(runCtx)
	}()
	select {
	case <-ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := e.installPromise(ctx, s.Root); err != nil {
		return err
	}
	if s.Mode == platform.ModeReal {
		// The real manager's writes cannot be intercepted: a watch sees
		// each one a few milliseconds after it is committed.
		go e.watchDone(runCtx)
	}
	return nil
}

// controller makes what plays Kratix's controller. In emulator mode that
// is the emulator, whose writes the doneRecorder sees as their responses
// arrive; in real mode the platform already runs the Kratix manager and
// this is the pod runner that stands in for the kubelet.
func (e *environment) controller(s settings) (ready <-chan struct{}, run func(context.Context) error, err error) {
	var logMu sync.Mutex
	logTo := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		_, _ = fmt.Fprintf(e.controllerLog, time.Now().Format("15:04:05.000 ")+format+"\n", args...)
	}
	cfg := e.p.AdminConfig()
	cfg.UserAgent = controllerUA
	if s.Mode == platform.ModeReal {
		r, err := podrunner.New(podrunner.Options{
			Config: cfg, PipelineAdapter: e.p.Kratix.PipelineAdapter, AdapterImage: platform.PipelineAdapterImage,
			WorkDir: filepath.Join(e.p.WorkDir, "podrunner"), Logf: logTo,
		})
		if err != nil {
			return nil, nil, err
		}
		return r.Ready(), r.Run, nil
	}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &recordingTransport{next: rt, rec: e.done} })
	emu, err := emulator.New(cfg, emulator.Options{PipelineDuration: s.PipelineDuration, Logf: logTo})
	if err != nil {
		return nil, nil, err
	}
	return emu.Ready(), emu.Run, nil
}

func (e *environment) stop() {
	if e.proxy != nil {
		_ = e.proxy.Close()
	}
	if e.cancel != nil {
		e.cancel()
		<-e.ctrlDone
	}
	if e.controllerLog != nil {
		_ = e.controllerLog.Close()
	}
	_ = e.p.Stop()
}

// auditingBinDir returns a bin directory for the platform in which
// kube-apiserver is a wrapper that adds an audit log (Metadata level, one
// event per request once the response is complete or, for watches,
// started; never rotated, as a rotation would hide a phase's events), next
// to links to the real etcd and kube-controller-manager.
func auditingBinDir(ctx context.Context, work string) (binDir, auditLog string, err error) {
	realDir, err := platform.EnsureBinaries(ctx, logf)
	if err != nil {
		return "", "", err
	}
	binDir = filepath.Join(work, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", "", err
	}
	for _, name := range []string{"etcd", "kube-controller-manager"} {
		link := filepath.Join(binDir, name)
		_ = os.Remove(link)
		if err := os.Symlink(filepath.Join(realDir, name), link); err != nil {
			return "", "", err
		}
	}
	policy := filepath.Join(work, "audit-policy.yaml")
	auditLog = filepath.Join(work, "audit.log")
	_ = os.Remove(auditLog)
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n"), 0o644); err != nil {
		return "", "", err
	}
	script := fmt.Sprintf("#!/bin/sh\nexec %s --audit-policy-file=%s --audit-log-path=%s --audit-log-maxsize=1000000 --audit-log-mode=blocking \"$@\"\n",
		shellQuote(filepath.Join(realDir, "kube-apiserver")), shellQuote(policy), shellQuote(auditLog))
	if err := os.WriteFile(filepath.Join(binDir, "kube-apiserver"), []byte(script), 0o755); err != nil {
		return "", "", err
	}
	return binDir, auditLog, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// installPromise creates the corpus redis Promise and waits until its
// request API is served.
func (e *environment) installPromise(ctx context.Context, root string) error {
	data, err := os.ReadFile(filepath.Join(root, promiseFile))
	if err != nil {
		return err
	}
	var promise unstructured.Unstructured
	if err := yaml.Unmarshal(data, &promise.Object); err != nil {
		return fmt.Errorf("%s: %w", promiseFile, err)
	}
	promise.SetResourceVersion("")
	if _, err := e.dyn.Resource(promiseGVR).Create(ctx, &promise, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the Promise: %w", err)
	}
	if err := e.readRequestPayload(root, &promise); err != nil {
		return err
	}
	logf("installed Promise %s; waiting for %s to be served", promise.GetName(), e.requestGVR)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		p, err := e.dyn.Resource(promiseGVR).Get(ctx, promise.GetName(), metav1.GetOptions{})
		if err == nil {
			s := kratix.SummarisePromise(p)
			if s.Kind != "" {
				if _, err = e.dyn.Resource(e.requestGVR).Namespace(benchNamespace).List(ctx, metav1.ListOptions{}); err == nil {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Promise's API %s was not served within 2 minutes (last error: %v)", e.requestGVR, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// readRequestPayload takes the request's API from the Promise and its spec
// from the corpus example request.
func (e *environment) readRequestPayload(root string, promise *unstructured.Unstructured) error {
	group, _, _ := unstructured.NestedString(promise.Object, "spec", "api", "spec", "group")
	plural, _, _ := unstructured.NestedString(promise.Object, "spec", "api", "spec", "names", "plural")
	e.kind, _, _ = unstructured.NestedString(promise.Object, "spec", "api", "spec", "names", "kind")
	versions, _, _ := unstructured.NestedSlice(promise.Object, "spec", "api", "spec", "versions")
	if group == "" || plural == "" || e.kind == "" || len(versions) == 0 {
		return errors.New("the Promise's spec.api lacks group, names or versions")
	}
	version := ""
	if v, ok := versions[0].(map[string]any); ok {
		version, _ = v["name"].(string)
	}
	e.requestGVR = schema.GroupVersionResource{Group: group, Version: version, Resource: plural}
	e.apiVersion = group + "/" + version
	data, err := os.ReadFile(filepath.Join(root, requestFile))
	if err != nil {
		return err
	}
	var req map[string]any
	if err := yaml.Unmarshal(data, &req); err != nil {
		return fmt.Errorf("%s: %w", requestFile, err)
	}
	spec, ok := req["spec"].(map[string]any)
	if !ok {
		return fmt.Errorf("%s has no spec", requestFile)
	}
	e.spec = spec
	return nil
}

// benchObjects lists the request objects the contenders manage.
func (e *environment) benchObjects(ctx context.Context) ([]unstructured.Unstructured, error) {
	list, err := e.dyn.Resource(e.requestGVR).Namespace(benchNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []unstructured.Unstructured
	for _, o := range list.Items {
		if strings.HasPrefix(o.GetName(), namePrefix) {
			out = append(out, o)
		}
	}
	return out, nil
}

// settleCreated waits until n bench objects exist and each has finished
// the configure workflow of its generation. It returns false at once when
// there are none (a contender that does not touch the API).
func (e *environment) settleCreated(ctx context.Context, n int) (bool, error) {
	deadline := time.Now().Add(20 * time.Minute)
	for first := true; ; first = false {
		objs, err := e.benchObjects(ctx)
		if err != nil {
			return false, err
		}
		if first && len(objs) == 0 {
			return false, nil
		}
		done := 0
		for i := range objs {
			w := &kratix.RequestWatch{Generation: objs[i].GetGeneration(), Created: true}
			if w.Observe(&objs[i]).State == kratix.Done {
				done++
			}
		}
		if len(objs) == n && done == n {
			return true, nil
		}
		if time.Now().After(deadline) {
			return true, fmt.Errorf("after 20 minutes %d of %d objects exist and %d are configured", len(objs), n, done)
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return true, err
		}
	}
}

// settleQuiet waits until the emulator has stopped writing to the bench
// objects (their resourceVersions unchanged for quietFor), so the next
// phase does not share the cores with Kratix's work after the configure
// workflow (Works, WorkPlacements, WorksSucceeded and Reconciled). A
// contender whose apply does not wait (kubectl_manifest) leaves the most of
// that work behind.
func (e *environment) settleQuiet(ctx context.Context) error {
	const quietFor = 3 * time.Second
	deadline := time.Now().Add(5 * time.Minute)
	last, since := "", time.Now()
	for time.Now().Before(deadline) {
		objs, err := e.benchObjects(ctx)
		if err != nil {
			return err
		}
		var versions strings.Builder
		for i := range objs {
			versions.WriteString(objs[i].GetResourceVersion() + ",")
		}
		if v := versions.String(); v != last {
			last, since = v, time.Now()
		} else if time.Since(since) >= quietFor {
			return nil
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
	logf("the bench objects were still changing after 5 minutes; measuring anyway")
	return nil
}

// settleDeleted waits until no bench object is left, then for the
// garbage collector to remove their Jobs, so the next run starts quiet.
func (e *environment) settleDeleted(ctx context.Context) error {
	deadline := time.Now().Add(20 * time.Minute)
	for {
		objs, err := e.benchObjects(ctx)
		if err != nil {
			return err
		}
		if len(objs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d bench objects still exist after 20 minutes", len(objs))
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	jobs := schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}
	deadline = time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		list, err := e.dyn.Resource(jobs).Namespace(benchNamespace).List(ctx, metav1.ListOptions{LabelSelector: "kratix.io/resource-name"})
		if err != nil {
			logf("not waiting for Jobs to be collected: %v", err)
			return nil //nolint:nilerr // best effort: the objects themselves are gone
		}
		if len(list.Items) == 0 {
			return nil
		}
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// doneRecorder remembers, per request object name, when Kratix's write
// that completed the configure workflow (the rule the provider waits for,
// kratix.RequestWatch) came back from the API server (emulator mode) or
// reached the harness's watch (real mode).
type doneRecorder struct {
	mu   sync.Mutex
	done map[string]time.Time
}

func newDoneRecorder() *doneRecorder { return &doneRecorder{done: map[string]time.Time{}} }

func (r *doneRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = map[string]time.Time{}
}

func (r *doneRecorder) snapshot() map[string]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]time.Time, len(r.done))
	for k, v := range r.done {
		out[k] = v
	}
	return out
}

func (r *doneRecorder) observeBody(at time.Time, body []byte) {
	var obj unstructured.Unstructured
	if err := obj.UnmarshalJSON(body); err == nil {
		r.observe(at, &obj)
	}
}

func (r *doneRecorder) observe(at time.Time, obj *unstructured.Unstructured) {
	if !strings.HasPrefix(obj.GetName(), namePrefix) || obj.GetDeletionTimestamp() != nil {
		return
	}
	w := &kratix.RequestWatch{Generation: obj.GetGeneration(), Created: true}
	if w.Observe(obj).State != kratix.Done {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, seen := r.done[obj.GetName()]; !seen {
		r.done[obj.GetName()] = at
	}
}

// recordingTransport sits under the emulator's clients and hands the
// responses of its writes to request objects to the doneRecorder, stamped
// with the time the response arrived (the write is committed by then).
type recordingTransport struct {
	next http.RoundTripper
	rec  *doneRecorder
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || req.Method == http.MethodGet || req.Method == http.MethodDelete ||
		resp.StatusCode/100 != 2 || !strings.Contains(req.URL.Path, "/namespaces/"+benchNamespace+"/") {
		return resp, err
	}
	body, rerr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	at := time.Now()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr == nil {
		t.rec.observeBody(at, body)
	}
	return resp, rerr
}

var promiseGVR = schema.GroupVersionResource{Group: kratix.Group, Version: kratix.Version, Resource: "promises"}

// watchDone feeds the doneRecorder from a watch of the bench objects,
// restarting the watch until ctx ends.
func (e *environment) watchDone(ctx context.Context) {
	for ctx.Err() == nil {
		w, err := e.dyn.Resource(e.requestGVR).Namespace(benchNamespace).Watch(ctx, metav1.ListOptions{})
		if err != nil {
			_ = sleep(ctx, time.Second)
			continue
		}
		for ev := range w.ResultChan() {
			if obj, ok := ev.Object.(*unstructured.Unstructured); ok {
				e.done.observe(time.Now(), obj)
			}
		}
		w.Stop()
	}
}
