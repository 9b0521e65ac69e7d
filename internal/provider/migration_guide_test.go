package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccMigrationGuide runs step 2 of the migration guide as written
// (examples/guides/migration): the Promise and request already exist, made
// by `kubectl apply` as kubectl_manifest would leave them; the import blocks
// adopt both with nothing created or replaced, the plan is then empty, and
// a later spec change applies under the provider's field manager.
func TestAccMigrationGuide(t *testing.T) {
	testAccPreCheck(t)
	env := harness.Current()
	t.Setenv("KUBE_CONFIG_PATH", env.KubeconfigPath)
	t.Setenv("KUBE_CTX", env.Context)
	createAsKubectl(t)
	dir := harness.RepoFile("examples", "guides", "migration")

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: harness.MinTerraform(tfversion.Version1_5_0),
		CheckDestroy:           checkPromisesGone(t),
		Steps: []resource.TestStep{{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          config.StaticDirectory(dir),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("kratix_promise.redis", plancheck.ResourceActionNoop),
					plancheck.ExpectResourceAction("kratix_resource_request.cache", plancheck.ResourceActionNoop),
				},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("kratix_promise.redis", tfjsonpath.New("status"), expectSettledPromiseStatus()),
				statecheck.ExpectKnownValue("kratix_resource_request.cache", tfjsonpath.New("spec").AtMapKey("size"), knownvalue.StringExact("small")),
			},
		}, {
			// Step 3 and a first change: the import blocks are gone and the
			// spec changes; kubectl's client-side apply still co-owns it.
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Config:                   migratedConfig(dir, `"large"`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("kratix_resource_request.cache", tfjsonpath.New("spec").AtMapKey("size"), knownvalue.StringExact("large")),
			},
		}},
	})
}

// migratedConfig is the guide's configuration after step 3 (no import
// blocks) with another size.
func migratedConfig(dir, size string) string {
	data, _ := os.ReadFile(filepath.Join(dir, "main.tf"))
	out := importBlock.ReplaceAllString(string(data), "")
	out = strings.Replace(out, `spec    = { size = "small" }`, "spec    = { size = "+size+" }", 1)
	return strings.Replace(out, `default     = "promise.yaml"`, fmt.Sprintf("default     = %q", filepath.Join(dir, "promise.yaml")), 1)
}

var importBlock = regexp.MustCompile(`(?s)import \{.*?\n\}\n`)

// createAsKubectl creates the guide's Promise and request the way
// `kubectl apply` does (client-side apply's field manager), and waits for
// the request's API to be served.
func createAsKubectl(t *testing.T) {
	t.Helper()
	client := harness.Current().Dynamic(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data, err := os.ReadFile(harness.RepoFile("examples", "guides", "migration", "promise.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	promise := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &promise.Object); err != nil {
		t.Fatal(err)
	}
	opts := metav1.CreateOptions{FieldManager: "kubectl-client-side-apply"}
	if _, err := client.Resource(promisesGVR).Create(ctx, promise, opts); err != nil {
		t.Fatalf("creating the Promise as kubectl would: %v", err)
	}
	request := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "marketplace.kratix.io/v1alpha1", "kind": "redis",
		"metadata": map[string]any{"name": "example", "namespace": "default"},
		"spec":     map[string]any{"size": "small"},
	}}
	requests := client.Resource(schema.GroupVersionResource{Group: "marketplace.kratix.io", Version: "v1alpha1", Resource: "redis"}).Namespace("default")
	for {
		_, err := requests.Create(ctx, request, opts)
		if err == nil {
			waitPromiseAvailable(t, promise.GetName())
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("creating the request as kubectl would: %v", err)
		}
		time.Sleep(200 * time.Millisecond) // the Promise's CRD is being installed
	}
}
