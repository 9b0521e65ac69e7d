package emulator

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func destination(name, storeKind, storeName string, labels map[string]string, extra map[string]any) *unstructured.Unstructured {
	spec := map[string]any{"path": name, "stateStoreRef": map[string]any{"kind": storeKind, "name": storeName}}
	for k, v := range extra {
		spec[k] = v
	}
	d := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "Destination",
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
	d.SetLabels(labels)
	return d
}

func gitStore(name string, secretRef map[string]any) *unstructured.Unstructured {
	spec := map[string]any{"url": "https://git.example/" + name + ".git", "branch": "main"}
	if secretRef != nil {
		spec["secretRef"] = secretRef
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "GitStateStore",
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
}

// TestIntegrationDestinationFollowsStore: a Destination whose store is
// missing becomes Ready once the store exists and is Ready; requests then
// get their Works delivered (WorksSucceeded, Reconciled), and deleting the
// Destination (cleanup: all) removes its WorkPlacements first.
func TestIntegrationDestinationFollowsStore(t *testing.T) {
	c := integration(t)
	env := "emu-" + randomHex(4)
	destName, storeName := randomName("emu-dest"), randomName("emu-store")
	c.create(gvrDestination, destination(destName, "GitStateStore", storeName, map[string]string{"environment": env}, map[string]any{"cleanup": "all"}))
	t.Cleanup(func() { c.delete(gvrDestination, "", destName); c.delete(gvrGitStateStore, "", storeName) })
	d := c.waitFor("StateStoreNotFound", gvrDestination, "", destName, func(o *unstructured.Unstructured) bool {
		return condIs(o, condReady, "False", "StateStoreNotFound")
	})
	if got := cond(d, condReady)["message"]; got != "GitStateStore/"+storeName+": not found" {
		t.Errorf("message %q", got)
	}
	if !slices.Contains(d.GetFinalizers(), finalizerDestinationCleanup) {
		t.Errorf("finalizers %v", d.GetFinalizers())
	}

	c.create(gvrGitStateStore, gitStore(storeName, nil))
	store := c.waitFor("Ready", gvrGitStateStore, "", storeName, func(o *unstructured.Unstructured) bool {
		return statusString(o, "status") == "Ready"
	})
	if !condIs(store, condReady, "True", "StateStoreReady") || cond(store, condReady)["message"] != "State store is ready" {
		t.Errorf("store:\n%s", dump(store))
	}
	d = c.waitFor("Ready", gvrDestination, "", destName, func(o *unstructured.Unstructured) bool {
		return condIs(o, condReady, "True", "TestDocumentsWritten")
	})
	if cond(d, condReady)["message"] != "Test documents written to State Store" {
		t.Errorf("destination:\n%s", dump(d))
	}

	p := newTestPromise()
	p.configure = [][]corev1.EnvVar{nil}
	p.selectors = map[string]string{"environment": env}
	c.install(p)
	c.create(p.gvr(), p.request("default", "delivered", "small"))
	rr := c.waitFor("delivered", p.gvr(), "default", "delivered", func(o *unstructured.Unstructured) bool {
		return configured(o) && condIs(o, condWorksSucceeded, "True", "WorksSucceeded") && condIs(o, condReconciled, "True", "Reconciled")
	})
	if cond(rr, condReconciled)["message"] != "Reconciled" {
		t.Errorf("Reconciled %s", fmtCond(rr, condReconciled))
	}
	works := c.list(gvrWork, "default", labelResourceName+"=delivered,"+labelPromiseName+"="+p.name)
	if len(works) != 1 || !condIs(&works[0], condReady, "True", "AllWorkplacementsScheduled") || cond(&works[0], condReady)["message"] != "Ready" {
		t.Fatalf("Works: %v", works)
	}
	wps := c.list(gvrWorkPlacement, "default", labelWork+"="+works[0].GetName())
	if len(wps) != 1 || !strings.HasPrefix(wps[0].GetName(), works[0].GetName()+"."+destName+"-") ||
		nestedString(wps[0].Object, "spec", "targetDestinationName") != destName || !condIs(&wps[0], condReady, "True", "") ||
		len(statusString(&wps[0], "versionID")) != 40 {
		t.Fatalf("WorkPlacements: %v", wps)
	}

	c.delete(gvrDestination, "", destName)
	c.waitGone(gvrDestination, "", destName)
	c.waitGone(gvrWorkPlacement, "default", wps[0].GetName())
	c.waitFor("WorksPending", p.gvr(), "default", "delivered", func(o *unstructured.Unstructured) bool {
		return condIs(o, condWorksSucceeded, "Unknown", "WorksPending")
	})
}

// TestIntegrationStoreSecrets: SecretNotFound names the Secret; missing keys
// give ErrorValidatingPermissions; the store follows Secret changes, and a
// Destination follows the store.
func TestIntegrationStoreSecrets(t *testing.T) {
	c := integration(t)
	secretName := randomName("emu-creds")
	git := randomName("emu-git")
	c.create(gvrGitStateStore, gitStore(git, map[string]any{"name": secretName}))
	t.Cleanup(func() { c.delete(gvrGitStateStore, "", git) })
	store := c.waitFor("SecretNotFound", gvrGitStateStore, "", git, func(o *unstructured.Unstructured) bool {
		return condIs(o, condReady, "False", "SecretNotFound")
	})
	msg, _ := cond(store, condReady)["message"].(string)
	if !strings.Contains(msg, `"`+secretName+`"`) || !strings.Contains(msg, `"default"`) || statusString(store, "status") != "NotReady" {
		t.Errorf("store:\n%s", dump(store))
	}
	destName := randomName("emu-dest")
	c.create(gvrDestination, destination(destName, "GitStateStore", git, nil, map[string]any{"initWorkloads": map[string]any{"enabled": false}}))
	t.Cleanup(func() { c.delete(gvrDestination, "", destName) })
	c.waitFor("StateStoreNotReady", gvrDestination, "", destName, func(o *unstructured.Unstructured) bool {
		return condIs(o, condReady, "False", "StateStoreNotReady")
	})

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: "default"}, Data: map[string][]byte{"username": []byte("kratix")}}
	if _, err := c.kube.CoreV1().Secrets("default").Create(context.Background(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.kube.CoreV1().Secrets("default").Delete(context.Background(), secretName, metav1.DeleteOptions{})
	})
	store = c.waitFor("ErrorValidatingPermissions", gvrGitStateStore, "", git, func(o *unstructured.Unstructured) bool {
		return condIs(o, condReady, "False", "ErrorValidatingPermissions")
	})
	if msg, _ := cond(store, condReady)["message"].(string); !strings.Contains(msg, "password") || strings.Contains(msg, "username") {
		t.Errorf("message %q", msg)
	}
	secret.Data["password"] = []byte("s3cret")
	if _, err := c.kube.CoreV1().Secrets("default").Update(context.Background(), secret, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.waitFor("Ready", gvrGitStateStore, "", git, func(o *unstructured.Unstructured) bool {
		return condIs(o, condReady, "True", "StateStoreReady") && statusString(o, "status") == "Ready"
	})
	d := c.waitFor("Ready", gvrDestination, "", destName, func(o *unstructured.Unstructured) bool {
		return condIs(o, condReady, "True", "DestinationReady")
	})
	if cond(d, condReady)["message"] != "Destination is ready" || slices.Contains(d.GetFinalizers(), finalizerDestinationCleanup) {
		t.Errorf("destination:\n%s", dump(d))
	}

	bucket := randomName("emu-bucket")
	c.create(gvrBucketStateStore, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": kratixGroup + "/" + kratixVersion, "kind": "BucketStateStore",
		"metadata": map[string]any{"name": bucket},
		"spec":     map[string]any{"bucketName": "kratix", "endpoint": "s3.example", "secretRef": map[string]any{"name": secretName, "namespace": "default"}},
	}})
	t.Cleanup(func() { c.delete(gvrBucketStateStore, "", bucket) })
	b := c.waitFor("ErrorValidatingPermissions", gvrBucketStateStore, "", bucket, func(o *unstructured.Unstructured) bool {
		return condIs(o, condReady, "False", "ErrorValidatingPermissions")
	})
	if msg, _ := cond(b, condReady)["message"].(string); !strings.Contains(msg, "accessKeyID") || !strings.Contains(msg, "secretAccessKey") {
		t.Errorf("message %q", msg)
	}
}
