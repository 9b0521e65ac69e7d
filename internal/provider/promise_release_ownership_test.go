package provider

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// TestAccPromiseRelease_forceConflictsTakesOver: with force_conflicts, a
// release whose URL serves a Promise that exists and that no release
// installed hands that Promise to the release (Kratix labels it and makes
// the release its controller, at the served version); destroying the
// release then deletes the Promise, checked through the API.
func TestAccPromiseRelease_forceConflictsTakesOver(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	src := newPromiseSource(t)
	url := src.put("/promise.yaml", p.releaseYAML("v1.0.0"))
	createOutsidePromise(t, p.releaseYAML(""))
	name := p.Name + "-release"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkReleaseGone(t, name, p.Name),
		Steps: []resource.TestStep{{
			Config: harness.Current().ProviderConfig() + releaseHCL(name, url, "  force_conflicts = true"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("promise"), knownvalue.StringExact(p.Name)),
			},
			Check: checkReleasedPromise(t, name, p.Name, "v1.0.0"),
		}},
	})
}

// TestAccPromiseRelease_refusesAnotherReleasesPromise: a release whose URL
// serves a Promise another PromiseRelease installed fails before anything
// is written, naming that release, and leaves both alone.
func TestAccPromiseRelease_refusesAnotherReleasesPromise(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	src := newPromiseSource(t)
	url := src.put("/promise.yaml", p.releaseYAML("v1.0.0"))
	owner := p.Name + "-owner"
	createOutsideRelease(t, owner, url, p.Name)
	name := p.Name + "-release"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: harness.Current().ProviderConfig() + releaseHCL(name, url, "  force_conflicts = true"),
			ExpectError: regexp.MustCompile(`(?s)Promise ` + p.Name + ` belongs to PromiseRelease ` + owner +
				`.*Nothing was written`),
			Check: checkNoRelease(t, name),
		}},
	})
	if err := checkReleasedPromise(t, owner, p.Name, "v1.0.0")(nil); err != nil {
		t.Fatalf("the other release's Promise changed: %v", err)
	}
}

// createOutsidePromise creates the Promise manifest describes outside
// Terraform, waits until it is usable, and deletes it when the test ends.
func createOutsidePromise(t *testing.T, manifest string) {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(manifest), &obj); err != nil {
		t.Fatal(err)
	}
	promise := &unstructured.Unstructured{Object: obj}
	client := harness.Current().Dynamic(t)
	if _, err := client.Resource(promisesGVR).Create(context.Background(), promise, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Promise %s outside Terraform: %v", promise.GetName(), err)
	}
	t.Cleanup(func() { deleteAndWait(t, client, promise.GetName()) })
	waitForPromiseAvailable(t, client, promise.GetName())
}

// createOutsideRelease creates a PromiseRelease of url outside Terraform,
// waits until its Promise is usable, and deletes both when the test ends.
func createOutsideRelease(t *testing.T, name, url, promise string) {
	t.Helper()
	release := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"sourceRef": map[string]any{"type": kratix.ReleaseSourceHTTP, "url": url}},
	}}
	release.SetGroupVersionKind(kratix.PromiseReleaseGVK)
	client := harness.Current().Dynamic(t)
	ctx := context.Background()
	if _, err := client.Resource(releasesGVR).Create(ctx, release, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating PromiseRelease %s outside Terraform: %v", name, err)
	}
	t.Cleanup(func() {
		if err := client.Resource(releasesGVR).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting PromiseRelease %s: %v", name, err)
		}
		deleteAndWait(t, client, promise)
	})
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.Resource(promisesGVR).Get(ctx, promise, metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("PromiseRelease %s never installed Promise %s: %v", name, promise, err)
	}
	waitForPromiseAvailable(t, client, promise)
}
