package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/emulator"
)

const destinationAddr = "kratix_destination.test"

// testStoreHCL is a GitStateStore on the test's own repository of the
// local Git server, whose Secret the test created through
// the API, so these tests need no write-only arguments (any Terraform).
func testStoreHCL(t *testing.T, name string) string {
	t.Helper()
	createTestSecret(t, "default", name+"-creds", testGitCredentials())
	return fmt.Sprintf(`
resource "kratix_git_state_store" "store" {
  name       = %[1]q
  url        = %[2]q
  secret_ref = { name = "%[1]s-creds" }
}
`, name, testGitURL(name))
}

func destinationHCL(name, store, body string) string {
	return destinationOfKindHCL(name, "GitStateStore", store, body)
}

func destinationOfKindHCL(name, kind, store, body string) string {
	return fmt.Sprintf(`
resource "kratix_destination" "test" {
  name        = %q
  state_store = { kind = %q, name = %s }
%s
}
`, name, kind, store, body)
}

// TestAccDestination_lifecycle: store and Destination in one apply, Ready
// waited for, server-side defaults never drift, import is identical, labels
// and init_workloads update in place, a foreign label is not drift, a
// changed filepath_mode replaces, and destroy (with cleanup = "all" and its
// finalizer) is checked in the API.
func TestAccDestination_lifecycle(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	base := harness.Current().ProviderConfig() + testStoreHCL(t, name)
	store := "kratix_git_state_store.store.name"

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(destinationsGVR, name), gone(gitStateStoresGVR, name)),
		Steps: []resource.TestStep{
			{
				Config: base + destinationHCL(name, store, `  path   = "dev"
  labels = { environment = "dev" }
  cleanup = "all"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("conditions").AtSliceIndex(0).AtMapKey("reason"), knownvalue.StringExact("TestDocumentsWritten")),
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("filepath_mode"), knownvalue.StringExact("nestedByMetadata")),
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("filepath_filename"), knownvalue.Null()),
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("init_workloads"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("strict_match_labels"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("id"), knownvalue.StringExact(name)),
				},
				Check:            checkGitWritten(t, name, "main", "dev"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName:            destinationAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				PreConfig: func() { patchDestination(t, name, `{"metadata":{"labels":{"added-by-someone":"x"}}}`) },
				Config: base + destinationHCL(name, store, `  path   = "dev"
  labels = { environment = "dev", team = "platform" }
  cleanup = "all"
  init_workloads = false`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(destinationAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
					// Without test documents the served Kratix says ReconciledSuccessfully.
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("conditions").AtSliceIndex(0).AtMapKey("reason"), stringByKratix("DestinationReady", "ReconciledSuccessfully", "DestinationReady")),
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("labels"), knownvalue.MapExact(map[string]knownvalue.Check{
						"environment": knownvalue.StringExact("dev"), "team": knownvalue.StringExact("platform"),
					})),
				},
			},
			{
				// Kratix makes filepath.mode immutable: a replacement, never an API error.
				Config: base + destinationHCL(name, store, `  path   = "dev"
  labels = { environment = "dev", team = "platform" }
  cleanup = "all"
  init_workloads = false
  filepath_mode = "aggregatedYAML"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(destinationAddr, plancheck.ResourceActionReplace)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("filepath_filename"), knownvalue.StringExact("aggregated.yaml")),
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
				},
			},
			{
				ResourceName:            destinationAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
		},
	})
}

// TestAccDestination_onBucketStore: a Destination on a BucketStateStore
// becomes Ready (against the real Kratix, once it wrote its test documents
// to the bucket), and destroy removes both.
func TestAccDestination_onBucketStore(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	createTestSecret(t, "default", name+"-creds", testS3Credentials())
	config := harness.Current().ProviderConfig() + fmt.Sprintf(`
resource "kratix_bucket_state_store" "store" {
  name        = %[1]q
  endpoint    = %[2]q
  bucket_name = %[1]q
  insecure    = true
  secret_ref  = { name = "%[1]s-creds", namespace = "default" }
}
`, name, testS3Endpoint()) + destinationOfKindHCL(name, "BucketStateStore", "kratix_bucket_state_store.store.name", `  path = "dev"`)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(destinationsGVR, name), gone(bucketStateStoresGVR, name)),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("state_store").AtMapKey("kind"), knownvalue.StringExact("BucketStateStore")),
			},
			Check:            checkS3Written(t, name, "dev/"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		}},
	})
}

// TestAccDestination_missingStore: a Destination whose store does not exist
// fails with StateStoreNotFound, Kratix's message and what to check; adding
// the store (referenced, so it is created first) fixes it.
func TestAccDestination_missingStore(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	base := harness.Current().ProviderConfig()
	body := `  path = "dev"`

	notFound := fmt.Sprintf("Ready=False (StateStoreNotFound): GitStateStore/%s: not found", name)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(destinationsGVR, name), gone(gitStateStoresGVR, name)),
		Steps: []resource.TestStep{
			{
				Config: base + destinationHCL(name, fmt.Sprintf("%q", name), body),
				// The served Kratix reports a missing store as a failed write.
				ExpectError: wrappedInOrder(byKratix(notFound,
					fmt.Sprintf(`Ready=False (StateStoreWriteFailed): Failed to write test documents to State Store: GitStateStore.platform.kratix.io "%s" not found`, name),
					notFound),
					"create the store (kratix_git_state_store) before the Destination"),
			},
			{
				Config: base + testStoreHCL(t, name) + destinationHCL(name, "kratix_git_state_store.store.name", body),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("ready"), knownvalue.Bool(true)),
				},
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// TestAccDestination_waitsThroughALostPushRace: Git rejects Kratix's push
// of the Destination's test documents because another write reached the
// branch first (Ready=False, StateStoreWriteFailed, "non-fast-forward"),
// for 8 s after the create and again after an update, longer than a
// failure may stand before an apply gives up; Kratix's next reconcile
// succeeds. Neither apply fails: both wait for Kratix to try again.
func TestAccDestination_waitsThroughALostPushRace(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipInRealMode(t, harness.RealCannotStagePushRace)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	base := harness.Current().ProviderConfig() + testStoreHCL(t, name)
	racing := func(path string) string {
		return fmt.Sprintf("  path   = %q\n  labels = { %q = \"8s\" }", path, emulator.LabelLosePushRace)
	}
	ready := []statecheck.StateCheck{statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("ready"), knownvalue.Bool(true))}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(destinationsGVR, name), gone(gitStateStoresGVR, name)),
		Steps: []resource.TestStep{
			{Config: base + destinationHCL(name, "kratix_git_state_store.store.name", racing("dev")), ConfigStateChecks: ready,
				Check: checkLostPushRaces(t, name, 1)},
			{Config: base + destinationHCL(name, "kratix_git_state_store.store.name", racing("prod")), ConfigStateChecks: ready,
				Check: checkLostPushRaces(t, name, 2)},
		},
	})
}

// checkLostPushRaces checks that the emulator recorded at least want
// reconciles of the Destination that lost a push race, so that a test
// relying on them cannot pass without them.
func checkLostPushRaces(t *testing.T, name string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		events, err := harness.Current().Dynamic(t).Resource(schema.GroupVersionResource{Version: "v1", Resource: "events"}).
			Namespace("default").List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err != nil {
			return err
		}
		lost := 0
		for _, e := range events.Items {
			if msg, _, _ := unstructured.NestedString(e.Object, "message"); strings.Contains(msg, "non-fast-forward") {
				lost++
			}
		}
		if lost < want {
			return fmt.Errorf("the emulator recorded %d reconciles of Destination %s that lost a push race, want at least %d", lost, name, want)
		}
		return nil
	}
}

// TestAccDestination_updateWaitsForItsReconcile: Kratix takes a few seconds
// to reconcile each version of the Destination (the emulator is told to,
// as a slow state store makes a real Kratix). An update that points it at
// a store that does not exist fails the apply with Kratix's verdict on the
// new spec; the Ready=True of the old spec, which stands unchanged until
// Kratix has reconciled, is not taken for it. Kratix releases of 2026 record
// an Event for each reconcile, which the wait follows; before them nothing
// tells the two apart, hence the skip against the served Kratix.
func TestAccDestination_updateWaitsForItsReconcile(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipInRealModeWithoutKratix2026(t, harness.RealNoDestinationReconcileEvents)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	base := harness.Current().ProviderConfig() + testStoreHCL(t, name)
	slow := fmt.Sprintf("  path   = \"dev\"\n  labels = { %q = \"4s\" }", emulator.LabelReconcileDelay)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(destinationsGVR, name), gone(gitStateStoresGVR, name)),
		Steps: []resource.TestStep{
			{
				Config:            base + destinationHCL(name, "kratix_git_state_store.store.name", slow),
				ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(destinationAddr, tfjsonpath.New("ready"), knownvalue.Bool(true))},
			},
			{
				Config:      base + destinationHCL(name, fmt.Sprintf("%q", name+"-gone"), slow),
				ExpectError: wrappedInOrder(fmt.Sprintf("Ready=False (StateStoreNotFound): GitStateStore/%s-gone: not found", name)),
			},
		},
	})
}

// TestAccDestination_missingStoreAdvice: the failure says what to check.
func TestAccDestination_missingStoreAdvice(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(destinationsGVR, name)),
		Steps: []resource.TestStep{{
			Config:      harness.Current().ProviderConfig() + destinationHCL(name, `"nowhere"`, `  path = "dev"`),
			ExpectError: wrapped("create the store (kratix_git_state_store) before the Destination"),
		}},
	})
}

// TestAccDestination_planTimeValidation: one case per rule, each an
// attribute error at plan time.
func TestAccDestination_planTimeValidation(t *testing.T) {
	testAccPreCheck(t)
	cases := []struct{ name, kind, store, body, want string }{
		{"filepath_mode enum", "GitStateStore", `"s"`, `  path = "a"
  filepath_mode = "flat"`, `value must be one of`},
		{"cleanup enum", "GitStateStore", `"s"`, `  path = "a"
  cleanup = "some"`, `value must be one of`},
		{"state store kind enum", "HelmStateStore", `"s"`, `  path = "a"`, `value must be one of`},
		{"filename needs aggregatedYAML", "GitStateStore", `"s"`, `  path = "a"
  filepath_filename = "all.yaml"`, `filepath_filename needs aggregatedYAML`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      harness.Current().ProviderConfig() + destinationOfKindHCL("tf-acc-invalid", tc.kind, tc.store, tc.body),
					PlanOnly:    true,
					ExpectError: wrapped(tc.want),
				}},
			})
		})
	}
}

// TestAccDestination_pathTakenByAnother: moving a Destination to a path
// another Destination on the same store uses fails at plan, on path. (A new
// Destination at such a path plans with a warning, as it does not exist yet,
// and Kratix's webhook refuses it at apply.)
func TestAccDestination_pathTakenByAnother(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-dest")
	taken := name + "-other"
	createDestination(t, taken, name, "clusters/dev")
	base := harness.Current().ProviderConfig() + testStoreHCL(t, name)
	store := "kratix_git_state_store.store.name"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkGone(t, gone(destinationsGVR, name)),
		Steps: []resource.TestStep{
			{Config: base + destinationHCL(name, store, `  path = "clusters/prod"`)},
			{
				Config:      base + destinationHCL(name, store, `  path = "/clusters/dev/"`),
				PlanOnly:    true,
				ExpectError: wrapped(fmt.Sprintf(`The Destination %q already writes to path`, taken)),
			},
		},
	})
}

// createDestination creates a Destination through the API (as another team
// would) and deletes it after the test.
func createDestination(t *testing.T, name, store, path string) {
	t.Helper()
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": destinationsGVR.GroupVersion().String(), "kind": "Destination",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"path": path, "stateStoreRef": map[string]any{"kind": "GitStateStore", "name": store}},
	}}
	client := harness.Current().Dynamic(t).Resource(destinationsGVR)
	if _, err := client.Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Destination %s: %v", name, err)
	}
	t.Cleanup(func() { _ = client.Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

func patchDestination(t *testing.T, name, patch string) {
	t.Helper()
	_, err := harness.Current().Dynamic(t).Resource(destinationsGVR).Patch(context.Background(), name,
		types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "someone-else"})
	if err != nil {
		t.Fatalf("patching Destination %s: %v", name, err)
	}
}
