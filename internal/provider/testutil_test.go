package provider

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var promisesGVR = kratix.PromiseGVK.GroupVersion().WithResource("promises")

// createTestPromise installs a small Promise labelled tf-acc-test=<label>
// through the API (not through the provider under test), waits until the
// emulated Kratix reports it Available, and deletes it after the test.
func createTestPromise(t *testing.T, label string) string {
	t.Helper()
	return createTestPromiseWithSpec(t, label, map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

// createTestPromiseWithSpec is createTestPromise with the given schema for
// its requests' spec.
func createTestPromiseWithSpec(t *testing.T, label string, spec map[string]any) string {
	t.Helper()
	name, _ := createTestPromiseIn(t, label, "test.kratix.io", spec)
	return name
}

// createTestPromiseIn is createTestPromiseWithSpec with its API in group
// (version v1alpha1); it returns the Promise's name and its API's kind.
func createTestPromiseIn(t *testing.T, label, group string, spec map[string]any) (string, string) {
	t.Helper()
	client := harness.Current().Dynamic(t)
	name := acctest.RandomWithPrefix("tf-acc")
	kind := "T" + strings.ReplaceAll(acctest.RandString(10), "-", "")
	promise := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kratix.Group + "/" + kratix.Version,
		"kind":       "Promise",
		"metadata":   map[string]any{"name": name, "labels": map[string]any{"tf-acc-test": label}},
		"spec": map[string]any{"api": map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1",
			"kind":       "CustomResourceDefinition",
			"metadata":   map[string]any{"name": strings.ToLower(kind) + "s." + group},
			"spec": map[string]any{
				"group": group,
				"scope": "Namespaced",
				"names": map[string]any{"kind": kind, "plural": strings.ToLower(kind) + "s", "singular": strings.ToLower(kind)},
				"versions": []any{map[string]any{
					"name": "v1alpha1", "served": true, "storage": true,
					"schema": map[string]any{"openAPIV3Schema": map[string]any{
						"type":       "object",
						"properties": map[string]any{"spec": spec},
					}},
				}},
			},
		}},
	}}
	ctx := context.Background()
	if _, err := client.Resource(promisesGVR).Create(ctx, promise, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating test Promise %s: %v", name, err)
	}
	t.Cleanup(func() { deleteAndWait(t, client, name) })
	waitForPromiseAvailable(t, client, name)
	return name, kind
}

func waitForPromiseAvailable(t *testing.T, client dynamic.Interface, name string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 60*time.Second, true,
		func(ctx context.Context) (bool, error) {
			obj, err := client.Resource(promisesGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return kratix.SummarisePromise(obj).Status == "Available", nil
		})
	if err != nil {
		t.Fatalf("test Promise %s never became Available: %v", name, err)
	}
}

func deleteAndWait(t *testing.T, client dynamic.Interface, name string) {
	t.Helper()
	ctx := context.Background()
	err := client.Resource(promisesGVR).Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		t.Errorf("deleting test Promise %s: %v", name, err)
		return
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := client.Resource(promisesGVR).Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Errorf("test Promise %s was not deleted: %v", name, err)
	}
}

// newTestCA returns a PEM CA certificate unrelated to the platform's.
func newTestCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "not-the-platform-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
