package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
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
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// corpusPromiseConfig manages a promise.yaml through the typed arguments,
// each fed from yamldecode (labels without the version label, which is
// `version`). Extra HCL (depends_on) goes inside the resource block.
func corpusPromiseConfig(address, promiseFile, extra string) string {
	return fmt.Sprintf(`
locals {
  %[1]s        = yamldecode(file(%[2]q))
  %[1]s_labels = try({ for k, v in local.%[1]s.metadata.labels : k => v if k != "kratix.io/promise-version" }, {})
}

resource "kratix_promise" %[1]q {
  name                  = local.%[1]s.metadata.name
  version               = try(local.%[1]s.metadata.labels["kratix.io/promise-version"], null)
  labels                = try(length(local.%[1]s_labels) > 0 ? local.%[1]s_labels : null, null)
  api                   = try(local.%[1]s.spec.api, null)
  workflows             = try(local.%[1]s.spec.workflows, null)
  dependencies          = try(local.%[1]s.spec.dependencies, null)
  destination_selectors = try([for s in local.%[1]s.spec.destinationSelectors : { match_labels = s.matchLabels }], null)
  required_promises     = try([for r in local.%[1]s.spec.requiredPromises : { name = r.name, version = try(r.version, null) }], null)
%[3]s}
`, address, promiseFile, extra)
}

// corpusPromiseManifestConfig manages the same promise.yaml in one line.
func corpusPromiseManifestConfig(address, promiseFile, extra string) string {
	return fmt.Sprintf("\nresource \"kratix_promise\" %q {\n  manifest = file(%q)\n%s}\n", address, promiseFile, extra)
}

// requiredPromisesConfig declares what a corpus Promise requires, as a
// platform repo would: the corpus Promise when the corpus has it at the
// required version, otherwise an empty stand-in Promise carrying that
// version (postgresql is not in the corpus). It returns the HCL and the
// depends_on line for the requiring Promise.
func requiredPromisesConfig(t *testing.T, entries []corpusEntry, promiseFile string) (string, string) {
	t.Helper()
	var hcl strings.Builder
	var addresses []string
	for i, req := range readRequiredPromises(t, promiseFile) {
		address := fmt.Sprintf("required_%d", i)
		addresses = append(addresses, "kratix_promise."+address)
		if file := findCorpusPromise(entries, req.Name, req.Version); file != "" {
			hcl.WriteString(corpusPromiseConfig(address, file, ""))
			continue
		}
		fmt.Fprintf(&hcl, "\nresource \"kratix_promise\" %q {\n  name    = %q\n  version = %q\n}\n", address, req.Name, req.Version)
	}
	if len(addresses) == 0 {
		return "", ""
	}
	return hcl.String(), fmt.Sprintf("  depends_on = [%s]\n", strings.Join(addresses, ", "))
}

type requiredPromise struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type promiseHead struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		API              map[string]any    `json:"api"`
		RequiredPromises []requiredPromise `json:"requiredPromises"`
	} `json:"spec"`
}

func readPromiseHead(t *testing.T, file string) promiseHead {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var head promiseHead
	if err := yaml.Unmarshal(data, &head); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return head
}

func readRequiredPromises(t *testing.T, file string) []requiredPromise {
	return readPromiseHead(t, file).Spec.RequiredPromises
}

func findCorpusPromise(entries []corpusEntry, name, version string) string {
	for _, e := range entries {
		var head promiseHead
		data, _ := os.ReadFile(e.promiseFile)
		if yaml.Unmarshal(data, &head) == nil && head.Metadata.Name == name && head.Metadata.Labels["kratix.io/promise-version"] == version {
			return e.promiseFile
		}
	}
	return ""
}

// apiRejectedByServer dry-runs a corpus Promise's API as a CRD, independently
// of the provider, to know whether Kratix's webhook would accept it.
func apiRejectedByServer(t *testing.T, file string) bool {
	t.Helper()
	api := readPromiseHead(t, file).Spec.API
	if api == nil {
		return false
	}
	crds := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	obj := &unstructured.Unstructured{Object: api}
	obj.SetAPIVersion("apiextensions.k8s.io/v1")
	_, err := harness.Current().Dynamic(t).Resource(crds).Create(context.Background(), obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	return apierrors.IsInvalid(err)
}

// corpusRequestManifestConfig manages the same request in one line, the
// decoded form (the Promise's is the text form).
func corpusRequestManifestConfig(requestFile string) string {
	if requestFile == "" {
		return ""
	}
	return fmt.Sprintf(`
resource "kratix_resource_request" "this" {
  promise  = kratix_promise.this.name
  manifest = yamldecode(file(%q))
}
`, requestFile)
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
// request in the same apply, through the one-line `manifest` form, then
// checks an empty plan after refresh, plans the typed form of both (which
// must change nothing but the manifest), imports both with identical
// state, and destroys them. A Promise the webhook rejects is rejected in
// both forms.
func TestAccCorpus(t *testing.T) {
	testAccPreCheck(t)
	entries := corpusEntries(t)
	shard, err := harness.ShardFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if shard.Count > 1 {
		t.Logf("corpus shard %s: every %d-th of the %d entries, from entry %d (%s)", shard, shard.Count, len(entries), shard.Index, harness.EnvShard)
	}
	for i, entry := range entries {
		if !shard.Takes(i) {
			continue // another shard's process runs it
		}
		t.Run(entry.name, func(t *testing.T) {
			required, dependsOn := requiredPromisesConfig(t, entries, entry.promiseFile)
			config := harness.Current().ProviderConfig() + required + corpusPromiseConfig("this", entry.promiseFile, dependsOn) + corpusRequestConfig(entry.requestFile)
			manifestConfig := harness.Current().ProviderConfig() + required + corpusPromiseManifestConfig("this", entry.promiseFile, dependsOn) +
				corpusRequestManifestConfig(entry.requestFile)
			if apiRejectedByServer(t, entry.promiseFile) {
				// sql/aws spells a printer column's jsonPath as JSONPath:
				// Kratix's webhook rejects it, and so must the provider,
				// before writing anything.
				resource.Test(t, resource.TestCase{
					ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
					CheckDestroy:             checkPromisesGone(t),
					Steps: []resource.TestStep{{
						Config:      config,
						ExpectError: regexp.MustCompile(`(?s)The Promise's API is not a valid\s+CustomResourceDefinition.*dry run`),
					}, {
						Config:      manifestConfig,
						ExpectError: regexp.MustCompile(`(?s)The Promise's API is not a valid\s+CustomResourceDefinition.*dry run`),
					}},
				})
				assertPromiseAbsent(t, readPromiseHead(t, entry.promiseFile).Metadata.Name)
				return
			}
			if rejected, ok := realWebhookRejection(entry.name); ok {
				resource.Test(t, resource.TestCase{
					ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
					CheckDestroy:             checkPromisesGone(t),
					Steps:                    []resource.TestStep{{Config: config, ExpectError: rejected}, {Config: manifestConfig, ExpectError: rejected}},
				})
				assertPromiseAbsent(t, readPromiseHead(t, entry.promiseFile).Metadata.Name)
				return
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy:             checkPromisesGone(t),
				Steps:                    corpusSteps(t, manifestConfig, config, entry),
			})
		})
	}
}

// corpusSteps: apply through `manifest`, empty plan after refresh, the
// typed form planned, then import of the Promise and its request with
// identical state. Destroy is checked by the caller.
func corpusSteps(t *testing.T, manifestConfig, typedConfig string, entry corpusEntry) []resource.TestStep {
	sameArgs := []plancheck.PlanCheck{onlyManifestChanges{address: "kratix_promise.this", args: promiseManifestArgs}}
	if entry.requestFile != "" {
		sameArgs = append(sameArgs, onlyManifestChanges{address: "kratix_resource_request.this", args: requestManifestArgs})
	}
	steps := []resource.TestStep{
		{
			Config: manifestConfig,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("kratix_promise.this", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		},
		{
			// The typed form gives the typed arguments the same values.
			Config:             typedConfig,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks:   resource.ConfigPlanChecks{PostApplyPostRefresh: sameArgs},
		},
		{
			ResourceName:            "kratix_promise.this",
			ImportState:             true,
			ImportStateVerify:       true,
			ImportStateVerifyIgnore: append(promiseImportIgnore(t, entry.promiseFile), append(realImportIgnore("conditions"), "manifest")...),
		},
	}
	if entry.requestFile == "" {
		return steps
	}
	steps[0].ConfigStateChecks = append(steps[0].ConfigStateChecks,
		statecheck.ExpectKnownValue("kratix_resource_request.this", tfjsonpath.New("message"), knownvalue.StringExact("Resource requested")))
	return append(steps, resource.TestStep{
		ResourceName:            "kratix_resource_request.this",
		ImportState:             true,
		ImportStateVerify:       true,
		ImportStateVerifyIgnore: append([]string{"timeouts", "manifest"}, realRequestImportIgnore()...),
	})
}

// promiseImportIgnore lists what an import cannot know: Kratix's CRD prunes
// some empty objects (workflows.config: {}). The configuration keeps them,
// so an import differs there and nowhere else. Explicit nulls (a CRD from
// `kubectl create --dry-run -o yaml` carries creationTimestamp: null and
// status: {conditions: null}) must come back from an import.
func promiseImportIgnore(t *testing.T, promiseFile string) []string {
	data, err := os.ReadFile(promiseFile)
	if err != nil {
		t.Fatal(err)
	}
	var promise map[string]any
	if err := yaml.Unmarshal(data, &promise); err != nil {
		t.Fatal(err)
	}
	spec, _ := promise["spec"].(map[string]any)
	ignore := []string{"timeouts"}
	for attr, key := range map[string]string{"api": "api", "workflows": "workflows", "dependencies": "dependencies"} {
		ignore = append(ignore, droppedPaths(attr, spec[key])...)
	}
	return ignore
}

// droppedPaths returns the flatmap paths of empty objects and lists under
// v, with the element count of their parent, which changes with them.
func droppedPaths(path string, v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if isEmptyValue(child) {
				out = append(out, path+"."+k, path+".%")
				continue
			}
			out = append(out, droppedPaths(path+"."+k, child)...)
		}
	case []any:
		for i, child := range v {
			out = append(out, droppedPaths(fmt.Sprintf("%s.%d", path, i), child)...)
		}
	}
	return out
}

func isEmptyValue(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return len(v) == 0
	case []any:
		return len(v) == 0
	}
	return false
}

// assertPromiseAbsent checks through the API that nothing was written.
func assertPromiseAbsent(t *testing.T, name string) {
	t.Helper()
	_, err := harness.Current().Dynamic(t).Resource(promisesGVR).Get(context.Background(), name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		t.Errorf("Promise %s exists after a rejected apply (err=%v)", name, err)
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
