package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// corpusEntry is one Promise of the marketplace corpus, with its request
// when the corpus has one.
type corpusEntry struct {
	name        string // directory, for the subtest name
	promiseFile string
	requestFile string
}

func corpusEntries(t *testing.T) []corpusEntry {
	t.Helper()
	root := harness.RepoFile("internal", "testdata", "kratix-marketplace")
	var entries []corpusEntry
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") || !isPromiseFile(path) {
			return err
		}
		dir := filepath.Dir(path)
		rel, _ := filepath.Rel(root, dir)
		entry := corpusEntry{name: rel, promiseFile: path}
		for _, candidate := range []string{"resource-request.yaml", "example-resource-request.yaml"} {
			if _, err := os.Stat(filepath.Join(dir, candidate)); err == nil {
				entry.requestFile = filepath.Join(dir, candidate)
			}
		}
		entries = append(entries, entry)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	return entries
}

func isPromiseFile(path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var head struct{ Kind string }
	return yaml.Unmarshal(data, &head) == nil && head.Kind == "Promise"
}

// corpusPromiseConfig manages a promise.yaml the way the docs tell users to:
// yamldecode feeds the arguments, nothing is translated by hand.
func corpusPromiseConfig(promiseFile string) string {
	return fmt.Sprintf(`
locals {
  promise = yamldecode(file(%q))
}

resource "kratix_promise" "this" {
  name                  = local.promise.metadata.name
  version               = try(local.promise.metadata.labels["kratix.io/promise-version"], null)
  api                   = try(local.promise.spec.api, null)
  workflows             = try(local.promise.spec.workflows, null)
  dependencies          = try(local.promise.spec.dependencies, null)
  destination_selectors = try([for s in local.promise.spec.destinationSelectors : { match_labels = s.matchLabels }], null)
  required_promises     = try([for r in local.promise.spec.requiredPromises : { name = r.name, version = try(r.version, null) }], null)
}
`, promiseFile)
}

func corpusRequestConfig(requestFile string) string {
	if requestFile == "" {
		return ""
	}
	return fmt.Sprintf(`
locals {
  request = yamldecode(file(%q))
}

resource "kratix_resource_request" "this" {
  promise   = kratix_promise.this.name
  name      = local.request.metadata.name
  namespace = try(local.request.metadata.namespace, null)
  spec      = try(local.request.spec, null)
}
`, requestFile)
}

// TestAccCorpus applies every Promise of the marketplace corpus, and its
// request in the same apply, then checks an empty plan after refresh,
// imports both with identical state, and destroys them.
func TestAccCorpus(t *testing.T) {
	testAccPreCheck(t)
	for _, entry := range corpusEntries(t) {
		t.Run(entry.name, func(t *testing.T) {
			config := harness.Current().ProviderConfig() + corpusPromiseConfig(entry.promiseFile) + corpusRequestConfig(entry.requestFile)
			steps := []resource.TestStep{
				{
					Config: config,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue("kratix_promise.this", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
					},
					ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				},
				{
					ResourceName:            "kratix_promise.this",
					ImportState:             true,
					ImportStateVerify:       true,
					ImportStateVerifyIgnore: []string{"timeouts"},
				},
			}
			if entry.requestFile != "" {
				steps[0].ConfigStateChecks = append(steps[0].ConfigStateChecks,
					statecheck.ExpectKnownValue("kratix_resource_request.this", tfjsonpath.New("message"), knownvalue.StringExact("Resource requested")))
				steps = append(steps, resource.TestStep{
					ResourceName:            "kratix_resource_request.this",
					ImportState:             true,
					ImportStateVerify:       true,
					ImportStateVerifyIgnore: []string{"timeouts"},
				})
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkPromisesGone(t),
				Steps:                    steps,
			})
		})
	}
}

// checkPromisesGone asserts through the API (not Terraform's state) that
// every kratix_promise in the state is gone, along with its API's CRD.
func checkPromisesGone(t *testing.T) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		client := harness.Current().Dynamic(t)
		crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "kratix_promise" {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := client.Resource(promisesGVR).Get(ctx, rs.Primary.ID, metav1.GetOptions{})
			cancel()
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("promise %s still exists after destroy (err=%v)", rs.Primary.ID, err)
			}
			if kind := rs.Primary.Attributes["kind"]; kind != "" {
				list, err := client.Resource(crds).List(context.Background(), metav1.ListOptions{LabelSelector: "kratix.io/promise-name=" + rs.Primary.ID})
				if err != nil {
					return err
				}
				if len(list.Items) > 0 {
					return fmt.Errorf("promise %s is gone but its CRD %s is left behind", rs.Primary.ID, list.Items[0].GetName())
				}
			}
		}
		return nil
	}
}
