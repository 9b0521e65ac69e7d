package storeserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned is a certificate for 127.0.0.1 and its PEM, which clients
// trust as a CA.
func selfSigned(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "git"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// With a certificate the server speaks HTTPS: a client that trusts the
// certificate's CA clones with basic auth, one that does not is refused.
func TestGitOverHTTPS(t *testing.T) {
	cert, caPEM := selfSigned(t)
	g, err := StartGit(GitOptions{Root: t.TempDir(), Username: "kratix", Password: "s3cret", Certificate: &cert})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	if !strings.HasPrefix(g.URL("platform/state.git"), "https://127.0.0.1:") {
		t.Fatalf("URL = %s, want https://127.0.0.1:...", g.URL("platform/state.git"))
	}
	url := strings.Replace(g.URL("platform/state.git"), "https://", "https://kratix:s3cret@", 1)
	dir := t.TempDir()
	if out, err := runGit(t, dir, "clone", url, "untrusted"); err == nil {
		t.Fatalf("a clone that does not trust the server's CA succeeded:\n%s", out)
	}
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_SSL_CAINFO", caFile) // it overrides http.sslCAInfo, and CI machines set it
	mustGit(t, dir, "clone", "--quiet", url, "trusted")
	if _, err := os.Stat(filepath.Join(dir, "trusted", "README.md")); err != nil {
		t.Fatalf("the clone lacks the initial commit: %v", err)
	}
}
