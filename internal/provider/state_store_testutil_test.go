package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// Helpers shared by the Destination and state store acceptance tests.

var (
	destinationsGVR      = kratix.DestinationGVK.GroupVersion().WithResource("destinations")
	gitStateStoresGVR    = kratix.GitStateStoreGVK.GroupVersion().WithResource("gitstatestores")
	bucketStateStoresGVR = kratix.BucketStateStoreGVK.GroupVersion().WithResource("bucketstatestores")
	secretsGVR           = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
)

// wrapped matches a phrase however Terraform wraps it in its diagnostics.
func wrapped(phrase string) *regexp.Regexp {
	return regexp.MustCompile(wrappedPattern(phrase))
}

// wrappedInOrder matches phrases appearing in this order, each possibly
// wrapped.
func wrappedInOrder(phrases ...string) *regexp.Regexp {
	patterns := make([]string, 0, len(phrases))
	for _, p := range phrases {
		patterns = append(patterns, wrappedPattern(p))
	}
	return regexp.MustCompile(`(?s)` + strings.Join(patterns, ".*"))
}

func wrappedPattern(phrase string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(phrase), " ", `\s+`)
}

// createTestSecret creates a Secret through the API (as someone managing it
// outside Terraform would) and deletes it after the test.
func createTestSecret(t *testing.T, namespace, name string, data map[string]string) {
	t.Helper()
	encoded := map[string]any{}
	for k, v := range data {
		encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": name, "namespace": namespace},
		"data":     encoded,
	}}
	client := harness.Current().Dynamic(t).Resource(secretsGVR).Namespace(namespace)
	if _, err := client.Create(context.Background(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Secret %s/%s: %v", namespace, name, err)
	}
	t.Cleanup(func() { _ = client.Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

// readSecret returns a Secret's decoded data and annotations; nil data when
// it does not exist.
func readSecret(t *testing.T, namespace, name string) (map[string]string, map[string]string) {
	t.Helper()
	obj, err := harness.Current().Dynamic(t).Resource(secretsGVR).Namespace(namespace).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		t.Fatalf("reading Secret %s/%s: %v", namespace, name, err)
	}
	raw, _, _ := unstructured.NestedStringMap(obj.Object, "data")
	out := map[string]string{}
	for k, v := range raw {
		decoded, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("Secret %s/%s key %s is not base64: %v", namespace, name, k, err)
		}
		out[k] = string(decoded)
	}
	return out, obj.GetAnnotations()
}

// checkSecretData asserts through the API that the Secret holds exactly want.
func checkSecretData(t *testing.T, namespace, name string, want map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, _ := readSecret(t, namespace, name)
		if got == nil {
			return fmt.Errorf("Secret %s/%s does not exist", namespace, name)
		}
		if len(got) != len(want) {
			return fmt.Errorf("Secret %s/%s has keys %v, want exactly %v", namespace, name, sortedKeys(got), sortedKeys(want))
		}
		for k, v := range want {
			if got[k] != v {
				return fmt.Errorf("Secret %s/%s key %q does not hold the configured value", namespace, name, k)
			}
		}
		return nil
	}
}

func deleteSecret(t *testing.T, namespace, name string) {
	t.Helper()
	err := harness.Current().Dynamic(t).Resource(secretsGVR).Namespace(namespace).Delete(context.Background(), name, metav1.DeleteOptions{})
	if err != nil {
		t.Fatalf("deleting Secret %s/%s: %v", namespace, name, err)
	}
}

// checkGone asserts through the API that objects are gone (waiting a
// little for finalizers).
func checkGone(t *testing.T, objects ...goneObject) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for _, o := range objects {
			ri := harness.Current().Dynamic(t).Resource(o.gvr)
			err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
				var err error
				if o.namespace != "" {
					_, err = ri.Namespace(o.namespace).Get(ctx, o.name, metav1.GetOptions{})
				} else {
					_, err = ri.Get(ctx, o.name, metav1.GetOptions{})
				}
				return apierrors.IsNotFound(err), nil
			})
			if err != nil {
				return fmt.Errorf("%s %s still exists after destroy", o.gvr.Resource, o.name)
			}
		}
		return nil
	}
}

type goneObject struct {
	gvr             schema.GroupVersionResource
	namespace, name string
}

func gone(gvr schema.GroupVersionResource, name string) goneObject {
	return goneObject{gvr: gvr, name: name}
}

func goneSecret(namespace, name string) goneObject {
	return goneObject{gvr: secretsGVR, namespace: namespace, name: name}
}

// secretForms are the ways a value could leak: as is, base64 encoded (as
// in a Secret), and JSON-escaped.
func secretForms(values []string) []string {
	var out []string
	for _, v := range values {
		escaped, _ := json.Marshal(v)
		out = append(out, v, base64.StdEncoding.EncodeToString([]byte(v)), strings.Trim(string(escaped), `"`))
	}
	return out
}

// noSecretsInState is a state check over the whole state as Terraform
// shows it (sensitive values included in clear).
type noSecretsInState struct{ values []string }

func (c noSecretsInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	raw, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	for _, v := range secretForms(c.values) {
		if bytes.Contains(raw, []byte(v)) {
			resp.Error = fmt.Errorf("a credential appears in the Terraform state")
			return
		}
	}
}

// checkNoSecretsInFiles scans every file under dir whose name matches
// pattern (e.g. the raw terraform.tfstate in the step's working directory).
func checkNoSecretsInFiles(dir, pattern string, values []string) error {
	found := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ok, _ := filepath.Match(pattern, d.Name()); !ok {
			return nil
		}
		found++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, v := range secretForms(values) {
			if bytes.Contains(data, []byte(v)) {
				return fmt.Errorf("a credential appears in %s", p)
			}
		}
		return nil
	})
	if err == nil && found == 0 {
		err = fmt.Errorf("no file matching %s under %s: nothing was checked", pattern, dir)
	}
	return err
}
