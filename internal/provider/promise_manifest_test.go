package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// YAML is the Promise as a promise.yaml, with what a cluster adds to an
// object read back (namespace, creationTimestamp, status), which the
// manifest argument ignores.
func (p testPromise) YAML(version, team string) string {
	return fmt.Sprintf(`# a promise.yaml as kratix init writes it
apiVersion: platform.kratix.io/v1alpha1
kind: Promise
metadata:
  name: %[1]s
  namespace: default
  creationTimestamp: null
  labels:
    kratix.io/promise-version: %[3]s
    team: %[4]s
  annotations:
    example.com/owner: platform
spec:
  destinationSelectors:
    - matchLabels:
        environment: dev
  api:
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: %[2]ss.test.kratix.io
    spec:
      group: test.kratix.io
      scope: Namespaced
      names: {kind: %[2]s, plural: %[2]ss, singular: %[2]s}
      versions:
        - name: v1alpha1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  properties:
                    replicas: {type: integer, minimum: 1}
  workflows:
    config:
      reconciliationInterval: 1h0m0s
    resource:
      configure:
        - apiVersion: platform.kratix.io/v1alpha1
          kind: Pipeline
          metadata: {name: configure}
          spec:
            containers:
              - {name: main, image: "ghcr.io/example/pipeline:v1"}
status: {}
`, p.Name, p.Kind, version, team)
}

func writeManifest(t *testing.T, name, content string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func promiseManifestHCL(manifest string) string {
	return fmt.Sprintf("\nresource \"kratix_promise\" \"test\" {\n  manifest = %s\n}\n", manifest)
}

// TestAccPromise_manifest: a whole promise.yaml in one line creates,
// updates, imports and destroys the Promise, and the plan shows its
// changes on the typed arguments.
func TestAccPromise_manifest(t *testing.T) {
	testAccPreCheck(t)
	// The manifest sets spec.workflows.config.reconciliationInterval; the
	// corpus test covers manifests against the real Kratix. It spells it as
	// Kratix 2026 writes it back (metav1.Duration), so that an import reads
	// what the manifest says: an import cannot know another spelling
	// (TestAccPromise_workflowConfigDrift covers the refresh of one).
	harness.SkipInRealModeWithoutKratix2026(t, harness.RealNoReconciliationInterval)
	p := newTestPromise()
	v1 := writeManifest(t, "v1.yaml", p.YAML("v1.0.0", "blue"))
	v2 := writeManifest(t, "v2.yaml", p.YAML("v1.1.0", "green"))
	provider := harness.Current().ProviderConfig()
	configV2 := provider + promiseManifestHCL(fmt.Sprintf("yamldecode(file(%q))", v2))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_5_0), // import blocks
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config: provider + promiseManifestHCL(fmt.Sprintf("file(%q)", v1)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("name"), knownvalue.StringExact(p.Name)),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("version"), knownvalue.StringExact("v1.0.0")),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("labels"), knownvalue.MapExact(map[string]knownvalue.Check{"team": knownvalue.StringExact("blue")})),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("annotations"), knownvalue.MapExact(map[string]knownvalue.Check{"example.com/owner": knownvalue.StringExact("platform")})),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("destination_selectors").AtSliceIndex(0).AtMapKey("match_labels"),
						knownvalue.MapExact(map[string]knownvalue.Check{"environment": knownvalue.StringExact("dev")})),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("reconciliation_interval"), knownvalue.StringExact("1h0m0s")),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("pipeline_namespace"), knownvalue.Null()),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("workflows").AtMapKey("resource").AtMapKey("configure").AtSliceIndex(0).AtMapKey("metadata").AtMapKey("name"),
						knownvalue.StringExact("configure")),
					statecheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("status"), knownvalue.StringExact("Available")),
				},
				Check: checkPromiseLabels(t, p.Name, map[string]string{"kratix.io/promise-version": "v1.0.0", "team": "blue"}),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// The decoded form of a changed file: the plan shows the
				// change on the typed arguments.
				Config: configV2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(promiseAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("version"), knownvalue.StringExact("v1.1.0")),
						plancheck.ExpectKnownValue(promiseAddr, tfjsonpath.New("labels").AtMapKey("team"), knownvalue.StringExact("green")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkPromiseLabels(t, p.Name, map[string]string{"kratix.io/promise-version": "v1.1.0", "team": "green"}),
			},
			{
				ResourceName:            promiseAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"manifest", "timeouts"},
			},
			{
				// After an import, the same manifest plans only itself.
				Config:             configV2,
				ResourceName:       promiseAddr,
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithID,
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					onlyManifestChanges{address: promiseAddr, args: promiseManifestArgs},
				}},
			},
		},
	})
}

// checkPromiseLabels reads the Promise through the API.
func checkPromiseLabels(t *testing.T, name string, want map[string]string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		obj, err := harness.Current().Dynamic(t).Resource(promisesGVR).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		got := obj.GetLabels()
		for k, v := range want {
			if got[k] != v {
				return fmt.Errorf("promise %s label %s = %q, want %q (labels %v)", name, k, got[k], v, got)
			}
		}
		return nil
	}
}

// onlyManifestChanges: the planned change leaves every typed argument the
// manifest covers as it was, and sets or removes manifest.
type onlyManifestChanges struct {
	address string
	args    []covered
}

func (c onlyManifestChanges) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != c.address {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		var changed []string
		for _, a := range c.args {
			if !reflect.DeepEqual(withoutEmptyConfig(before[a.attribute]), withoutEmptyConfig(after[a.attribute])) {
				changed = append(changed, fmt.Sprintf("%s: %v -> %v", a.attribute, before[a.attribute], after[a.attribute]))
			}
		}
		if len(changed) > 0 {
			resp.Error = fmt.Errorf("%s: the plan changes typed arguments: %s", c.address, strings.Join(changed, "; "))
		} else if reflect.DeepEqual(before["manifest"], after["manifest"]) {
			resp.Error = fmt.Errorf("%s: the plan does not change manifest", c.address)
		}
		return
	}
	resp.Error = fmt.Errorf("%s: not in the plan", c.address)
}

// withoutEmptyConfig drops an empty workflows.config, which the typed
// form may carry (a promise.yaml with `config: {}` given whole to
// workflows) and the manifest form leaves out, as Kratix's CRD prunes it.
func withoutEmptyConfig(v any) any {
	m, ok := v.(map[string]any)
	if config, isMap := m["config"].(map[string]any); !ok || !isMap || len(config) > 0 {
		return v
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		if k != "config" {
			out[k] = e
		}
	}
	return out
}

// TestAccPromise_manifestInvalid: what the manifest argument cannot take
// fails at plan, on `manifest`, saying what to do, and nothing is created.
func TestAccPromise_manifestInvalid(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	good := p.YAML("v1.0.0", "blue")
	provider := harness.Current().ProviderConfig()
	fileConfig := func(content string) string {
		return provider + promiseManifestHCL(fmt.Sprintf("file(%q)", writeManifest(t, "promise.yaml", content)))
	}
	cases := []struct {
		name, config, want string
	}{
		{"not a Promise", fileConfig(strings.Replace(good, "kind: Promise", "kind: Destination", 1)),
			`(?s)Invalid manifest.*a Destination.*not a Promise.*give kratix_promise a promise.yaml`},
		{"no name", fileConfig(strings.Replace(good, "  name: "+p.Name+"\n", "", 1)),
			`(?s)Invalid manifest.*no metadata.name: add one`},
		{"unknown spec field", fileConfig(strings.Replace(good, "spec:\n  destinationSelectors:", "spec:\n  futureField: {}\n  destinationSelectors:", 1)),
			`(?s)Invalid manifest.*spec has fields kratix_promise cannot carry: futureField.*remove them`},
		{"several documents", fileConfig(good + "---\n" + good),
			`(?s)Invalid manifest.*holds 2 YAML documents`},
		{"invalid interval", fileConfig(strings.Replace(good, "reconciliationInterval: 1h0m0s", "reconciliationInterval: 10s", 1)),
			`(?s)spec.workflows.config.reconciliationInterval.*at least 1m0s`},
		{"not YAML text or an object", provider + promiseManifestHCL(`["a"]`),
			`(?s)Invalid manifest.*neither YAML text nor an object`},
		{"typed argument beside manifest", provider + `
resource "kratix_promise" "test" {
  manifest = ` + fmt.Sprintf("file(%q)", writeManifest(t, "p.yaml", good)) + `
  version  = "v2.0.0"
}
`, `(?s)Conflicting arguments: version and manifest.*metadata.labels\["kratix.io/promise-version"\].*Remove .version.`},
		{"neither name nor manifest", provider + "\nresource \"kratix_promise\" \"test\" {}\n",
			`(?s)Missing name.*Set .manifest. to a whole promise.yaml`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, ExpectError: wrappedRegexp(tc.want)}},
			})
			assertPromiseAbsent(t, p.Name)
		})
	}
}

// TestAccPromise_manifestUnknown: a manifest known only at apply plans the
// typed arguments as unknown.
func TestAccPromise_manifestUnknown(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	file := writeManifest(t, "promise.yaml", p.YAML("VERSION", "blue"))
	config := harness.Current().ProviderConfig() + `
resource "terraform_data" "version" {
  input = "v1.0.0"
}
` + promiseManifestHCL(fmt.Sprintf("replace(file(%q), \"VERSION\", terraform_data.version.output)", file))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_4_0), // terraform_data
		Steps: []resource.TestStep{{
			Config:             config,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectUnknownValue(promiseAddr, tfjsonpath.New("name")),
				plancheck.ExpectUnknownValue(promiseAddr, tfjsonpath.New("version")),
				plancheck.ExpectUnknownValue(promiseAddr, tfjsonpath.New("api")),
			}},
		}},
	})
}

// wrappedRegexp is a pattern whose spaces match any run of white space,
// as Terraform wraps diagnostics.
func wrappedRegexp(pattern string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(pattern, " ", `\s+`))
}

// TestAccManifest_fromDecodeManifests: the documents decode_manifests
// splits out of one file go to `manifest` as they are (the function's
// documented example).
func TestAccManifest_fromDecodeManifests(t *testing.T) {
	testAccPreCheck(t)
	example, err := os.ReadFile(harness.RepoFile("examples", "functions", "decode_manifests", "function.tf"))
	if err != nil {
		t.Fatal(err)
	}
	config := harness.Current().ProviderConfig() + strings.ReplaceAll(string(example), "${path.module}",
		filepath.Dir(harness.RepoFile("examples", "functions", "decode_manifests", "redis.yaml")))
	promise, request := `kratix_promise.all["redis"]`, "kratix_resource_request.example"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_8_0), // provider functions
		Steps: []resource.TestStep{{
			Config:             config,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(promise, tfjsonpath.New("name"), knownvalue.StringExact("redis")),
				plancheck.ExpectKnownValue(promise, tfjsonpath.New("version"), knownvalue.StringExact("v1.0.0")),
				plancheck.ExpectKnownValue(request, tfjsonpath.New("name"), knownvalue.StringExact("example")),
				plancheck.ExpectKnownValue(request, tfjsonpath.New("namespace"), knownvalue.StringExact("default")),
			}},
		}},
	})
}
