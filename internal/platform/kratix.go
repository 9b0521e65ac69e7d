package platform

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// Names real mode gives Kratix's objects: those of Kratix's own kustomize
// install (namePrefix kratix-platform-, namespace kratix-platform-system).
const (
	KratixNamespace      = "kratix-platform-system"
	kratixNamePrefix     = "kratix-platform-"
	kratixServiceAccount = kratixNamePrefix + "controller-manager"
	// PipelineAdapterImage is the image name the manager puts on the
	// pipeline adapter containers (reader, work-writer, status-writer).
	// Nothing pulls it: package podrunner recognises it and runs the built
	// pipeline-adapter binary instead.
	PipelineAdapterImage = "kratix-platform-pipeline-adapter:local"
	// KratixWebhookPort is fixed in Kratix's main.go, so only one real-mode
	// platform can run on a machine at a time (see lockWebhookPort).
	KratixWebhookPort = 9443
)

// kratixConfig is the optional kratix-platform-system/kratix ConfigMap.
// Without it a pipeline Job gets the API server's default backoffLimit of
// 6, and a failing pipeline would take minutes of Job back-off to fail;
// with 0 it fails on its first failed pod, as the emulator's pipelines do.
const kratixConfig = `workflows:
  defaultContainerSecurityContext: {}
  jobOptions:
    defaultBackoffLimit: 0
`

// rbacFiles are the parts of config/rbac the manager needs (the metrics
// roles are left out: metrics are off).
var rbacFiles = []string{"service_account.yaml", "role.yaml", "role_binding.yaml", "leader_election_role.yaml", "leader_election_role_binding.yaml"}

// startKratix installs the real Kratix from its module source and runs its
// manager under its own service account, waiting until its webhooks serve.
func (p *Platform) startKratix(ctx context.Context, pki *pkiPaths, logf func(string, ...any)) error {
	bins := p.Kratix
	if err := p.lockWebhookPort(logf); err != nil {
		return err
	}
	cfg := p.AdminConfig()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := installKratixCRDs(ctx, dyn, bins.ModuleDir); err != nil {
		return err
	}
	if err := applyAll(ctx, dyn, cs, kratixRBAC, filepath.Join(bins.ModuleDir, "config", "rbac"), rbacFiles...); err != nil {
		return err
	}
	if err := p.installWebhooks(ctx, dyn, cs, pki, bins.ModuleDir); err != nil {
		return err
	}
	if err := createKratixConfig(ctx, cs); err != nil {
		return err
	}
	kubeconfig, err := p.managerKubeconfig(ctx, cs)
	if err != nil {
		return err
	}
	return p.runManager(ctx, kubeconfig, bins.Manager, logf)
}

// lockWebhookPort holds a lock for port 9443 until Stop, so that a second
// real-mode platform waits instead of failing to bind. The port, and so the
// lock, belongs to a network namespace: platforms in different ones (such
// as `unshare -n`) run side by side.
func (p *Platform) lockWebhookPort(logf func(string, ...any)) error {
	cache, err := CacheDir()
	if err != nil {
		return err
	}
	path := filepath.Join(cache, "kratix-webhook-port"+networkNamespaceSuffix()+".lock")
	unlock, ok, err := tryLockFile(path)
	if err != nil {
		return err
	}
	if !ok {
		logf("waiting for another real-Kratix platform to stop (it holds port %d; lock %s)", KratixWebhookPort, path)
		if unlock, err = lockFile(path); err != nil {
			return err
		}
	}
	p.unlockWebhookPort = unlock
	l, err := net.Listen("tcp", ":"+strconv.Itoa(KratixWebhookPort))
	if err != nil {
		return fmt.Errorf("port %d, which Kratix's webhook server always uses, is taken by a process outside this project: %w", KratixWebhookPort, err)
	}
	return l.Close()
}

// networkNamespaceSuffix names this process's network namespace ("" where
// Linux does not say).
func networkNamespaceSuffix() string {
	own, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		return ""
	}
	return "-" + strings.Trim(strings.TrimPrefix(own, "net:"), "[]")
}

func installKratixCRDs(ctx context.Context, dyn dynamic.Interface, moduleDir string) error {
	dir := filepath.Join(moduleDir, "config", "crd", "bases")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading Kratix's CRDs: %w", err)
	}
	res := dyn.Resource(crdGVR)
	var crds []*unstructured.Unstructured
	for _, e := range entries {
		objs, err := readObjects(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		for _, crd := range objs {
			if _, err := res.Apply(ctx, crd.GetName(), crd, metav1.ApplyOptions{FieldManager: crdFieldManager, Force: true}); err != nil {
				return fmt.Errorf("applying Kratix CRD %s: %w", crd.GetName(), err)
			}
			crds = append(crds, crd)
		}
	}
	sort.Slice(crds, func(i, j int) bool { return crds[i].GetName() < crds[j].GetName() })
	return waitEstablished(ctx, res, crds)
}

// kratixRBAC does what kustomize does to config/rbac: prefix names and put
// everything in kratix-platform-system.
func kratixRBAC(obj *unstructured.Unstructured) {
	obj.SetName(kratixNamePrefix + obj.GetName())
	if obj.GetNamespace() != "" || obj.GetKind() == "Role" || obj.GetKind() == "RoleBinding" || obj.GetKind() == "ServiceAccount" {
		obj.SetNamespace(KratixNamespace)
	}
	if name, ok, _ := unstructured.NestedString(obj.Object, "roleRef", "name"); ok {
		_ = unstructured.SetNestedField(obj.Object, kratixNamePrefix+name, "roleRef", "name")
	}
	subjects, _, _ := unstructured.NestedSlice(obj.Object, "subjects")
	for _, s := range subjects {
		if m, ok := s.(map[string]any); ok && m["kind"] == "ServiceAccount" {
			m["name"], m["namespace"] = kratixNamePrefix+fmt.Sprint(m["name"]), KratixNamespace
		}
	}
	if subjects != nil {
		_ = unstructured.SetNestedSlice(obj.Object, subjects, "subjects")
	}
}

// installWebhooks points Kratix's webhook configurations at the manager on
// loopback, with a serving certificate from the platform CA.
func (p *Platform) installWebhooks(ctx context.Context, dyn dynamic.Interface, cs kubernetes.Interface, pki *pkiPaths, moduleDir string) error {
	serving, err := newServingCert(pki.ca)
	if err != nil {
		return err
	}
	certDir := p.webhookCertDir()
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return err
	}
	if _, _, err := serving.write(certDir, "tls"); err != nil {
		return err
	}
	// Kratix's git writer empties its TMPDIR (see managerTmpDir): the
	// certificate directories are read-only so that, without capabilities,
	// it cannot take the webhook certificate with it.
	for _, dir := range []string{certDir, filepath.Dir(certDir)} {
		if err := os.Chmod(dir, 0o500); err != nil {
			return err
		}
	}
	pointAtLoopback := func(obj *unstructured.Unstructured) {
		obj.SetName(kratixNamePrefix + obj.GetName())
		hooks, _, _ := unstructured.NestedSlice(obj.Object, "webhooks")
		for _, h := range hooks {
			m, ok := h.(map[string]any)
			if !ok {
				continue
			}
			path, _, _ := unstructured.NestedString(m, "clientConfig", "service", "path")
			m["clientConfig"] = map[string]any{
				"url":      fmt.Sprintf("https://127.0.0.1:%d%s", KratixWebhookPort, path),
				"caBundle": base64.StdEncoding.EncodeToString(p.CAData),
			}
		}
		_ = unstructured.SetNestedSlice(obj.Object, hooks, "webhooks")
	}
	return applyAll(ctx, dyn, cs, pointAtLoopback, filepath.Join(moduleDir, "config", "webhook"), "manifests.yaml")
}

// managerTmpDir is the manager's TMPDIR: controller-runtime reads the
// webhook certificate from $TMPDIR/k8s-webhook-server/serving-certs, so
// each platform keeps its own instead of sharing /tmp.
//
// The served Kratix's git writer removes filepath.Dir of its clone
// directory after every write and read, which is TMPDIR itself (its clone
// directory is os.MkdirTemp("", ...)); every later clone then fails
// ("stat $TMPDIR: no such file or directory"). In Kratix's container, which
// runs as a user that cannot remove /tmp, that only empties /tmp. Here the
// manager runs without capabilities (managerCommand), and TMPDIR sits in a
// directory without write permission (managerTmpParent), so the same
// holds: it can empty TMPDIR, not remove it.
func (p *Platform) managerTmpDir() string { return filepath.Join(p.managerTmpParent(), "tmp") }

func (p *Platform) managerTmpParent() string { return filepath.Join(p.WorkDir, "kratix-manager") }

// webhookCertDir is where controller-runtime looks for the manager's
// webhook serving certificate.
func (p *Platform) webhookCertDir() string {
	return filepath.Join(p.managerTmpDir(), "k8s-webhook-server", "serving-certs")
}

// prepareManagerTmpDir creates TMPDIR and then takes the write permission
// off its parent (see managerTmpDir).
func (p *Platform) prepareManagerTmpDir() error {
	if err := os.MkdirAll(p.managerTmpDir(), 0o700); err != nil {
		return err
	}
	return os.Chmod(p.managerTmpParent(), 0o500)
}

// releaseManagerTmpDir gives back the write permissions installWebhooks and
// prepareManagerTmpDir took, once the manager has stopped, so that the
// work directory can be removed without root's capabilities too.
func (p *Platform) releaseManagerTmpDir() {
	for _, dir := range []string{p.managerTmpParent(), filepath.Dir(p.webhookCertDir()), p.webhookCertDir()} {
		_ = os.Chmod(dir, 0o700)
	}
}

// managerCommand runs the manager, when this process is root, through
// setpriv (util-linux) with every capability dropped, so that file
// permissions bind it as they bind any other user (see managerTmpDir).
// Without setpriv it runs with root's capabilities, and Git state stores
// fail after Kratix's first write.
func managerCommand(bin string, args []string, logf func(string, ...any)) (string, []string) {
	if os.Geteuid() != 0 {
		return bin, args
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		logf("setpriv (util-linux) is not on PATH: the Kratix manager runs with root's capabilities, and its git writer will remove its TMPDIR after the first write, so Git state stores fail after it")
		return bin, args
	}
	return setpriv, append([]string{"--inh-caps=-all", "--bounding-set=-all", "--", bin}, args...)
}

func createKratixConfig(ctx context.Context, cs kubernetes.Interface) error {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "kratix", Namespace: KratixNamespace},
		Data:       map[string]string{"config": kratixConfig},
	}
	if _, err := cs.CoreV1().ConfigMaps(KratixNamespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ConfigMap %s/kratix: %w", KratixNamespace, err)
	}
	return nil
}

// managerKubeconfig authenticates as Kratix's service account with a token
// from the TokenRequest API, so the manager has exactly the RBAC Kratix's
// install gives it.
func (p *Platform) managerKubeconfig(ctx context.Context, cs kubernetes.Interface) (string, error) {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](7 * 24 * 3600)}}
	tok, err := cs.CoreV1().ServiceAccounts(KratixNamespace).CreateToken(ctx, kratixServiceAccount, req, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting a token for service account %s/%s: %w", KratixNamespace, kratixServiceAccount, err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[KubeconfigContext] = &clientcmdapi.Cluster{Server: p.Host, CertificateAuthorityData: p.CAData}
	cfg.AuthInfos[KubeconfigContext] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	cfg.Contexts[KubeconfigContext] = &clientcmdapi.Context{Cluster: KubeconfigContext, AuthInfo: KubeconfigContext}
	cfg.CurrentContext = KubeconfigContext
	path := filepath.Join(p.WorkDir, "pki", "kratix-manager.kubeconfig")
	return path, clientcmd.WriteToFile(*cfg, path)
}

func (p *Platform) runManager(ctx context.Context, kubeconfig, bin string, logf func(string, ...any)) error {
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	probe := "127.0.0.1:" + strconv.Itoa(ports[0])
	args := []string{"--metrics-bind-address=0", "--pprof-bind-address=0", "--health-probe-bind-address=" + probe}
	caBundle, err := p.writeCABundle()
	if err != nil {
		return err
	}
	env := append(managerEnv(), "KUBECONFIG="+kubeconfig, "PIPELINE_ADAPTER_IMG="+PipelineAdapterImage, "TMPDIR="+p.managerTmpDir(),
		"SSL_CERT_FILE="+caBundle, "GIT_SSL_CAINFO="+caBundle)
	if err := p.prepareManagerTmpDir(); err != nil {
		return err
	}
	command, commandArgs := managerCommand(bin, args, logf)
	started := time.Now()
	if err := p.runWith(binKratixManager, command, commandArgs, env, managerRestarts); err != nil {
		return err
	}
	if err := p.waitHTTPOK(ctx, "http://"+probe+"/readyz", binKratixManager); err != nil {
		return err
	}
	p.KratixStartup = time.Since(started)
	return nil
}

// writeCABundle writes the system's CA certificates and the platform's CA
// into one file, which the manager trusts (SSL_CERT_FILE for Go's TLS,
// GIT_SSL_CAINFO for the git CLI Kratix runs), so that the platform's Git
// server can speak HTTPS with a certificate of the platform's CA.
func (p *Platform) writeCABundle() (string, error) {
	var bundle []byte
	for _, system := range []string{os.Getenv("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"} {
		if data, err := os.ReadFile(system); system != "" && err == nil {
			bundle = append(data, '\n')
			break
		}
	}
	path := filepath.Join(p.WorkDir, "pki", "ca-bundle.crt")
	return path, os.WriteFile(path, append(bundle, p.CAData...), 0o600)
}

// managerEnv is this process's environment without what would point the
// manager at another cluster.
func managerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "KUBECONFIG" || name == "TMPDIR" || name == "SSL_CERT_FILE" || name == "GIT_SSL_CAINFO" || strings.HasPrefix(name, "KUBERNETES_SERVICE_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// waitHTTPOK polls a health endpoint; readyz includes the webhook server.
func (p *Platform) waitHTTPOK(ctx context.Context, url, name string) error {
	deadline := time.Now().Add(componentReadyTimeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if err := p.Healthy(); err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s", resp.Status)
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready at %s after %s: %v (log: %s)", name, url, componentReadyTimeout, lastErr, filepath.Join(p.WorkDir, name+".log"))
}

// applyAll server-side-applies every object in the named files of dir,
// after transform.
func applyAll(ctx context.Context, dyn dynamic.Interface, cs kubernetes.Interface, transform func(*unstructured.Unstructured), dir string, files ...string) error {
	for _, f := range files {
		objs, err := readObjects(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		for _, obj := range objs {
			transform(obj)
			if err := applyObject(ctx, dyn, cs, obj); err != nil {
				return fmt.Errorf("applying %s %s from %s: %w", obj.GetKind(), obj.GetName(), f, err)
			}
		}
	}
	return nil
}

func applyObject(ctx context.Context, dyn dynamic.Interface, cs kubernetes.Interface, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	resources, err := cs.Discovery().ServerResourcesForGroupVersion(gvk.GroupVersion().String())
	if err != nil {
		return err
	}
	for _, r := range resources.APIResources {
		if r.Kind != gvk.Kind || strings.Contains(r.Name, "/") {
			continue
		}
		gvr := schema.GroupVersionResource{Group: gvk.Group, Version: gvk.Version, Resource: r.Name}
		var res dynamic.ResourceInterface = dyn.Resource(gvr)
		if r.Namespaced {
			res = dyn.Resource(gvr).Namespace(obj.GetNamespace())
		}
		_, err := res.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: crdFieldManager, Force: true})
		return err
	}
	return fmt.Errorf("the API server does not serve kind %s", gvk)
}

// readObjects reads a multi-document YAML file, skipping empty documents.
func readObjects(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(bytes.TrimSpace(js)) == 0 || string(bytes.TrimSpace(js)) == "null" {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		objs = append(objs, obj)
	}
}
