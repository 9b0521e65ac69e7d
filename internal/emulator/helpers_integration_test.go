package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// waitTimeout bounds every wait in the integration tests.
const waitTimeout = 90 * time.Second

// cluster is a test's handle on the platform.
type cluster struct {
	t    *testing.T
	dyn  dynamic.Interface
	kube kubernetes.Interface
}

func integration(t *testing.T) *cluster {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("integration tests run with TF_ACC=1 against the local platform")
	}
	if testConfig == nil {
		t.Fatal("the platform did not start")
	}
	cfg := rest.CopyConfig(testConfig)
	cfg.WarningHandler = rest.NoWarnings{}
	return &cluster{t: t, dyn: dynamic.NewForConfigOrDie(cfg), kube: kubernetes.NewForConfigOrDie(cfg)}
}

func (c *cluster) res(gvr schema.GroupVersionResource, ns string) dynamic.ResourceInterface {
	if ns == "" {
		return c.dyn.Resource(gvr)
	}
	return c.dyn.Resource(gvr).Namespace(ns)
}

func (c *cluster) create(gvr schema.GroupVersionResource, obj *unstructured.Unstructured) *unstructured.Unstructured {
	c.t.Helper()
	out, err := c.res(gvr, obj.GetNamespace()).Create(context.Background(), obj, metav1.CreateOptions{})
	if err != nil {
		c.t.Fatalf("creating %s %s: %v", gvr.Resource, obj.GetName(), err)
	}
	return out
}

func (c *cluster) get(gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	c.t.Helper()
	obj, err := c.res(gvr, ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		c.t.Fatalf("getting %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return obj
}

func (c *cluster) patch(gvr schema.GroupVersionResource, ns, name, patch string) *unstructured.Unstructured {
	c.t.Helper()
	out, err := c.res(gvr, ns).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if err != nil {
		c.t.Fatalf("patching %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return out
}

func (c *cluster) delete(gvr schema.GroupVersionResource, ns, name string) {
	c.t.Helper()
	err := c.res(gvr, ns).Delete(context.Background(), name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		c.t.Fatalf("deleting %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
}

// waitFor polls until ok accepts the object (nil when it does not exist)
// and returns it; on timeout it fails with what it last saw.
func (c *cluster) waitFor(what string, gvr schema.GroupVersionResource, ns, name string, ok func(*unstructured.Unstructured) bool) *unstructured.Unstructured {
	c.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var last *unstructured.Unstructured
	for {
		obj, err := c.res(gvr, ns).Get(context.Background(), name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			last = nil
		case err != nil:
			c.t.Fatalf("getting %s %s/%s: %v", gvr.Resource, ns, name, err)
		default:
			last = obj
		}
		if ok(last) {
			return last
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s %s/%s: %s; last seen:\n%s", gvr.Resource, ns, name, what, dump(last))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *cluster) waitGone(gvr schema.GroupVersionResource, ns, name string) {
	c.t.Helper()
	c.waitFor("deletion", gvr, ns, name, func(o *unstructured.Unstructured) bool { return o == nil })
}

// jobs lists workflow Jobs by labels.
func (c *cluster) jobs(ns string, selector map[string]string) []unstructured.Unstructured {
	c.t.Helper()
	var parts []string
	for k, v := range selector {
		parts = append(parts, k+"="+v)
	}
	list, err := c.res(schema.GroupVersionResource{Group: "batch", Version: "v1", Resource: "jobs"}, ns).List(context.Background(),
		metav1.ListOptions{LabelSelector: strings.Join(parts, ",")})
	if err != nil {
		c.t.Fatal(err)
	}
	return list.Items
}

func (c *cluster) namespace(name string) {
	c.t.Helper()
	_, err := c.kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		c.t.Fatal(err)
	}
}

func (c *cluster) createConfigMap(ns, name string, data map[string]string) {
	c.t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
	if _, err := c.kube.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = c.kube.CoreV1().ConfigMaps(ns).Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

func (c *cluster) deleteConfigMap(ns, name string) {
	c.t.Helper()
	if err := c.kube.CoreV1().ConfigMaps(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		c.t.Fatal(err)
	}
}

func dump(obj *unstructured.Unstructured) string {
	if obj == nil {
		return "<not found>"
	}
	data, _ := yaml.Marshal(obj.Object)
	return string(data)
}

// cond returns a condition of the object's status.
func cond(obj *unstructured.Unstructured, condType string) map[string]any {
	if obj == nil {
		return nil
	}
	status, _ := obj.Object["status"].(map[string]any)
	c, _ := findCondition(status, condType)
	return c
}

// condIs checks status and, when given, reason.
func condIs(obj *unstructured.Unstructured, condType, status, reason string) bool {
	c := cond(obj, condType)
	return c != nil && c["status"] == status && (reason == "" || c["reason"] == reason)
}

func statusString(obj *unstructured.Unstructured, fields ...string) string {
	if obj == nil {
		return ""
	}
	return nestedString(obj.Object, append([]string{"status"}, fields...)...)
}

func statusInt(obj *unstructured.Unstructured, fields ...string) int64 {
	if obj == nil {
		return -1
	}
	v, found, _ := unstructured.NestedFieldNoCopy(obj.Object, append([]string{"status"}, fields...)...)
	if !found {
		return -1
	}
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return -1
}

// configured is the "done" rule of kratix-api.md §5.4 for the current
// generation.
func configured(obj *unstructured.Unstructured) bool {
	return obj != nil && statusInt(obj, "observedGeneration") == obj.GetGeneration() &&
		condIs(obj, condConfigureWorkflowCompleted, "True", "PipelinesExecutedSuccessfully")
}

func repoFile(t *testing.T, parts ...string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(append([]string{wd, "..", ".."}, parts...)...)
}

func readObject(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &unstructured.Unstructured{Object: obj}
}

func randomName(prefix string) string { return prefix + "-" + randomHex(6) }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func ptrBool(b bool) *bool { return &b }

func fmtCond(obj *unstructured.Unstructured, condType string) string {
	c := cond(obj, condType)
	return fmt.Sprintf("%v/%v/%v", c["status"], c["reason"], c["message"])
}
