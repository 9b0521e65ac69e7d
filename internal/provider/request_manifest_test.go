package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// requestYAML is a request of the test Promise as a user keeps it, written
// for another version of the API than the Promise serves.
func (p testPromise) requestYAML(name, namespace string, replicas int) string {
	ns := ""
	if namespace != "" {
		ns = "\n  namespace: " + namespace
	}
	return fmt.Sprintf(`apiVersion: test.kratix.io/v1beta9
kind: %[1]s
metadata:
  name: %[2]s%[3]s
  creationTimestamp: null
  labels:
    team: data
  annotations:
    example.com/owner: platform
spec:
  size: small
  replicas: %[4]d
status: {}
`, p.Kind, name, ns, replicas)
}

func requestManifestHCL(promise, manifest string) string {
	return fmt.Sprintf("\nresource \"kratix_resource_request\" \"test\" {\n  promise  = %s\n  manifest = %s\n}\n", promise, manifest)
}

// TestAccResourceRequest_manifest: a whole request YAML in one line
// creates, updates, imports, replaces and destroys the request.
func TestAccResourceRequest_manifest(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	base := harness.Current().ProviderConfig() + p.HCL()
	v1 := writeManifest(t, "v1.yaml", p.requestYAML("example", "", 1))
	v2 := writeManifest(t, "v2.yaml", p.requestYAML("example", "default", 2))
	renamed := writeManifest(t, "renamed.yaml", p.requestYAML("renamed", "", 2))
	configV2 := base + requestManifestHCL("kratix_promise.test.name", fmt.Sprintf("yamldecode(file(%q))", v2))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_5_0), // import blocks
		CheckDestroy:             checkRequestGone(t, p, "default", "renamed"),
		Steps: []resource.TestStep{
			{
				Config: base + requestManifestHCL("kratix_promise.test.name", fmt.Sprintf("file(%q)", v1)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("name"), knownvalue.StringExact("example")),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("namespace"), knownvalue.StringExact("default")),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("labels"), knownvalue.MapExact(map[string]knownvalue.Check{"team": knownvalue.StringExact("data")})),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("annotations"), knownvalue.MapExact(map[string]knownvalue.Check{"example.com/owner": knownvalue.StringExact("platform")})),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("spec").AtMapKey("replicas"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("api_version"), knownvalue.StringExact("test.kratix.io/v1alpha1")),
					statecheck.ExpectKnownValue(requestAddr, tfjsonpath.New("message"), knownvalue.StringExact("Resource requested")),
				},
				Check:            checkRequestReplicas(t, p, "example", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// The decoded form of a changed file, now naming the
				// namespace it was in: an update in place.
				Config: configV2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(requestAddr, tfjsonpath.New("spec").AtMapKey("replicas"), knownvalue.Int64Exact(2)),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkRequestReplicas(t, p, "example", 2),
			},
			{
				ResourceName:            requestAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: append([]string{"manifest", "timeouts"}, realRequestImportIgnore()...),
			},
			{
				// After an import, the same manifest plans only itself.
				Config:             configV2,
				ResourceName:       requestAddr,
				ImportState:        true,
				ImportStateKind:    resource.ImportBlockWithID,
				ExpectNonEmptyPlan: true,
				ImportPlanChecks: resource.ImportPlanChecks{PreApply: []plancheck.PlanCheck{
					onlyManifestChanges{address: requestAddr, args: requestManifestArgs},
				}},
			},
			{
				// A new metadata.name replaces the request.
				Config: base + requestManifestHCL("kratix_promise.test.name", fmt.Sprintf("file(%q)", renamed)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(requestAddr, plancheck.ResourceActionReplace)},
				},
				Check: resource.ComposeTestCheckFunc(
					checkRequestReplicas(t, p, "renamed", 2),
					func(*terraform.State) error {
						_, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default").Get(context.Background(), "example", metav1.GetOptions{})
						if !apierrors.IsNotFound(err) {
							return fmt.Errorf("request example still exists after its replacement (err=%v)", err)
						}
						return nil
					},
				),
			},
		},
	})
}

// checkRequestReplicas reads the request through the API.
func checkRequestReplicas(t *testing.T, p testPromise, name string, want int64) resource.TestCheckFunc {
	return func(*terraform.State) error {
		obj, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default").Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		got, _, _ := unstructured.NestedInt64(obj.Object, "spec", "replicas")
		if got != want {
			return fmt.Errorf("request %s has spec.replicas %d, want %d", name, got, want)
		}
		return nil
	}
}

// TestAccResourceRequest_manifestInvalid: what the manifest argument cannot
// take fails at plan, on `manifest`, saying what to do.
func TestAccResourceRequest_manifestInvalid(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	good := p.requestYAML("example", "", 1)
	provider := harness.Current().ProviderConfig()
	fileConfig := func(content string) string {
		return provider + requestManifestHCL(`"absent"`, fmt.Sprintf("file(%q)", writeManifest(t, "request.yaml", content)))
	}
	cases := []struct {
		name, config, want string
	}{
		{"a Promise", fileConfig(p.YAML("v1.0.0", "blue")),
			`(?s)Invalid manifest.*a Promise of Kratix itself, not a request.*give kratix_resource_request the request`},
		{"no name", fileConfig(strings.Replace(good, "  name: example\n", "", 1)),
			`(?s)Invalid manifest.*no metadata.name: add one`},
		{"several documents", fileConfig(good + "---\n" + good),
			`(?s)Invalid manifest.*holds 2 YAML documents`},
		{"spec not an object", fileConfig(strings.Replace(good, "spec:\n  size: small\n  replicas: 1\n", "spec: [1]\n", 1)),
			`(?s)Invalid manifest.*spec must be an object, got a list`},
		{"invalid namespace", fileConfig(strings.Replace(good, "  name: example\n", "  name: example\n  namespace: Not_A_Namespace\n", 1)),
			`(?s)metadata.namespace.*RFC 1123 label`},
		{"typed argument beside manifest", provider + `
resource "kratix_resource_request" "test" {
  promise   = "absent"
  manifest  = ` + fmt.Sprintf("file(%q)", writeManifest(t, "r.yaml", good)) + `
  namespace = "default"
}
`, `(?s)Conflicting arguments: namespace and manifest.*metadata.namespace sets it.*Remove .namespace.`},
		{"neither name nor manifest", provider + "\nresource \"kratix_resource_request\" \"test\" {\n  promise = \"absent\"\n}\n",
			`(?s)Missing name.*Set .manifest. to a whole request`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: tc.config, ExpectError: wrappedRegexp(tc.want)}},
			})
		})
	}
}
