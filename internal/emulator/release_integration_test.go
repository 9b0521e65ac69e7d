package emulator

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// TestIntegrationPromiseRelease: a release with no version fetches the
// Promise (with the Authorization header from its Secret), records the
// version, installs the Promise labelled and owned by the release, and
// reports Installed; a version the Promise is not labelled with is
// VersionNotMatching; deleting the release deletes the Promise first.
func TestIntegrationPromiseRelease(t *testing.T) {
	c := integration(t)
	p := newTestPromise()
	promise := p.object()
	promise.SetLabels(map[string]string{labelPromiseVersion: "v1.0.0"})
	body, err := yaml.Marshal(promise.Object)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var headers []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		headers = append(headers, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	secret := randomName("auth")
	secrets := schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	c.create(secrets, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": secret, "namespace": "default"},
		"stringData": map[string]any{"authorizationHeader": "Bearer t0ken"},
	}})
	name := randomName("release")
	c.create(gvrPromiseRelease, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.kratix.io/v1alpha1", "kind": "PromiseRelease",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{"sourceRef": map[string]any{"type": "http", "url": srv.URL + "/promise.yaml",
			"secretRef": map[string]any{"name": secret, "namespace": "default"}}},
	}})
	release := c.waitFor("installed", gvrPromiseRelease, "", name, func(o *unstructured.Unstructured) bool {
		return condIs(o, "Installed", "True", "InstalledSuccessfully")
	})
	if v := nestedString(release.Object, "spec", "version"); v != "v1.0.0" || statusString(release, "status") != "Installed" ||
		!hasFinalizer(release, finalizerPromiseCleanup) {
		t.Errorf("release:\n%s", dump(release))
	}
	installed := c.get(gvrPromise, "", p.name)
	refs := installed.GetOwnerReferences()
	if installed.GetLabels()[labelPromiseReleaseName] != name || len(refs) != 1 || refs[0].UID != release.GetUID() || !*refs[0].Controller {
		t.Errorf("promise:\n%s", dump(installed))
	}
	mu.Lock()
	if len(headers) == 0 || headers[0] != "Bearer t0ken" {
		t.Errorf("Authorization headers sent: %q", headers)
	}
	mu.Unlock()

	c.patch(gvrPromiseRelease, "", name, `{"spec":{"version":"v2.0.0"}}`)
	c.waitFor("version mismatch", gvrPromiseRelease, "", name, func(o *unstructured.Unstructured) bool {
		return condIs(o, "Installed", "False", "VersionNotMatching") && statusString(o, "status") == "Error installing"
	})

	c.delete(gvrPromiseRelease, "", name)
	c.waitGone(gvrPromise, "", p.name)
	c.waitGone(gvrPromiseRelease, "", name)
	c.delete(secrets, "default", secret)
}
