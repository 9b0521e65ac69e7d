package platform

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// pkiPaths are the files the control plane is started with.
type pkiPaths struct {
	caCert, serveCert, serveKey string
	saKey, tokenFile            string
	kcmKubeconfig               string
	kcm                         *keyPair
	// ca signs the real Kratix manager's webhook serving certificate.
	ca *keyPair
}

// KubeconfigContext is the context name in the platform's kubeconfig.
const KubeconfigContext = "kratix-platform"

func (p *Platform) writePKI() (*pkiPaths, error) {
	dir := filepath.Join(p.WorkDir, "pki")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ca, err := newCA("kratix-platform-ca")
	if err != nil {
		return nil, err
	}
	serving, err := newServingCert(ca)
	if err != nil {
		return nil, err
	}
	admin, err := newClientCert(ca, "kratix-admin", "system:masters")
	if err != nil {
		return nil, err
	}
	kcm, err := newClientCert(ca, "system:kube-controller-manager")
	if err != nil {
		return nil, err
	}
	paths := &pkiPaths{kcm: kcm, ca: ca, caCert: filepath.Join(dir, "ca.crt")}
	if err := os.WriteFile(paths.caCert, ca.CertPEM, 0o600); err != nil {
		return nil, err
	}
	if paths.serveCert, paths.serveKey, err = serving.write(dir, "apiserver"); err != nil {
		return nil, err
	}
	if paths.saKey, err = serviceAccountKey(dir); err != nil {
		return nil, err
	}
	p.ca, p.CAData, p.AdminCertData, p.AdminKeyData = ca, ca.CertPEM, admin.CertPEM, admin.KeyPEM
	p.AdminToken, p.LimitedToken, p.LimitedUser = randomToken(), randomToken(), limitedTokenUser
	paths.tokenFile = filepath.Join(dir, "tokens.csv")
	tokens := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n%s,%s,%s\n",
		p.AdminToken, adminTokenUser, adminTokenUser, p.LimitedToken, limitedTokenUser, limitedTokenUser)
	return paths, os.WriteFile(paths.tokenFile, []byte(tokens), 0o600)
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// etcdEnv drops ETCD_* variables: etcd reads every one of them as a flag, and
// a stray one from the user's shell would change or break this etcd.
func etcdEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETCD_") {
			env = append(env, kv)
		}
	}
	return env
}

func etcdArgs(workDir, clientURL, peerURL string) []string {
	return []string{
		"--name=default",
		"--data-dir=" + filepath.Join(workDir, "etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=default=" + peerURL,
		// A throwaway test store: durability buys nothing and fsync costs
		// seconds on a busy 2-core machine.
		"--unsafe-no-fsync=true",
		"--quota-backend-bytes=4294967296",
		"--log-level=warn",
	}
}

func apiServerArgs(pki *pkiPaths, etcdURL string, port int) []string {
	return []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		// With one loopback API server there is no endpoint to reconcile, and
		// the default reconciler would fight over the kubernetes Service.
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Dir(pki.caCert),
		"--tls-cert-file=" + pki.serveCert,
		"--tls-private-key-file=" + pki.serveKey,
		"--client-ca-file=" + pki.caCert,
		"--token-auth-file=" + pki.tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + pki.saKey,
		"--service-account-signing-key-file=" + pki.saKey,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=1",
	}
}

// controllerManagerArgs runs the controllers a Kratix platform relies on
// without a kubelet: namespaces finish terminating, owner-referenced objects
// are garbage-collected, service accounts get tokens. The Job controller is
// off in emulator mode: no kubelet runs pods there, so the emulator plays the
// Job outcome and writes Job status itself. In real mode the Job controller
// runs, and package podrunner plays the kubelet for the Jobs' pods.
func controllerManagerArgs(pki *pkiPaths, mode Mode) []string {
	controllers := "namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller,ttl-after-finished-controller"
	// Each controller acts as its own service account in real mode, as on a
	// real cluster: only the job-controller's role may create pods.
	saCredentials := "false"
	if mode == ModeReal {
		controllers += ",job-controller"
		saCredentials = "true"
	}
	return []string{
		"--kubeconfig=" + pki.kcmKubeconfig,
		"--authentication-kubeconfig=" + pki.kcmKubeconfig,
		"--authorization-kubeconfig=" + pki.kcmKubeconfig,
		"--controllers=" + controllers,
		"--service-account-private-key-file=" + pki.saKey,
		"--root-ca-file=" + pki.caCert,
		"--use-service-account-credentials=" + saCredentials,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=0",
		"--v=1",
	}
}

// writeKubeconfigs writes the admin kubeconfig a person or test uses and the
// controller manager's own.
func (p *Platform) writeKubeconfigs(pki *pkiPaths) error {
	p.KubeconfigPath = filepath.Join(p.WorkDir, "kubeconfig")
	if err := writeKubeconfig(p.KubeconfigPath, p.Host, p.CAData, p.AdminCertData, p.AdminKeyData); err != nil {
		return err
	}
	pki.kcmKubeconfig = filepath.Join(p.WorkDir, "pki", "kube-controller-manager.kubeconfig")
	return writeKubeconfig(pki.kcmKubeconfig, p.Host, p.CAData, pki.kcm.CertPEM, pki.kcm.KeyPEM)
}

func writeKubeconfig(path, host string, ca, cert, key []byte) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[KubeconfigContext] = &clientcmdapi.Cluster{Server: host, CertificateAuthorityData: ca}
	cfg.AuthInfos[KubeconfigContext] = &clientcmdapi.AuthInfo{ClientCertificateData: cert, ClientKeyData: key}
	cfg.Contexts[KubeconfigContext] = &clientcmdapi.Context{Cluster: KubeconfigContext, AuthInfo: KubeconfigContext, Namespace: "default"}
	cfg.CurrentContext = KubeconfigContext
	return clientcmd.WriteToFile(*cfg, path)
}

func kubernetesScheme() runtime.NegotiatedSerializer {
	return serializer.WithoutConversionCodecFactory{CodecFactory: scheme.Codecs}
}

func isAlreadyExists(err error) bool { return apierrors.IsAlreadyExists(err) }
