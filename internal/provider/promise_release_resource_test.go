package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

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
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

const releaseAddr = "kratix_promise_release.test"

var releasesGVR = kratix.PromiseReleaseGVK.GroupVersion().WithResource("promisereleases")

// promiseSource serves promise.yaml files over HTTP on loopback, where
// Kratix's controller manager (real or emulated), which runs in the same
// network namespace, fetches them. Paths under /private/ need the
// Authorization header "Bearer <token>".
type promiseSource struct {
	srv   *httptest.Server
	token string
	mu    sync.Mutex
	files map[string]string
}

func newPromiseSource(t *testing.T) *promiseSource {
	t.Helper()
	s := &promiseSource{files: map[string]string{}, token: "tfacc-" + t.Name()}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *promiseSource) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/private/") && r.Header.Get("Authorization") != "Bearer "+s.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	body, ok := s.files[r.URL.Path]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = fmt.Fprint(w, body)
}

// put serves body at path and returns its URL.
func (s *promiseSource) put(path, body string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = body
	return s.srv.URL + path
}

// releaseYAML is the test Promise as its source serves it, at a version
// ("" leaves the version label out).
func (p testPromise) releaseYAML(version string) string {
	label := ""
	if version != "" {
		label = fmt.Sprintf("\n  labels:\n    kratix.io/promise-version: %s", version)
	}
	return fmt.Sprintf(`apiVersion: platform.kratix.io/v1alpha1
kind: Promise
metadata:
  name: %[1]s%[3]s
spec:
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
    resource:
      configure:
        - apiVersion: platform.kratix.io/v1alpha1
          kind: Pipeline
          metadata: {name: configure}
          spec:
            containers:
              - {name: main, image: "ghcr.io/example/pipeline:v1"}
`, p.Name, p.Kind, label)
}

func releaseHCL(name, url, body string) string {
	return fmt.Sprintf(`
resource "kratix_promise_release" "test" {
  name = %q
  url  = %q
%s
}
`, name, url, body)
}

// TestAccPromiseRelease_lifecycle: a release installs the Promise its URL
// serves and waits until it is usable; Kratix records the version; import
// is identical; a new url (private, with an Authorization header from a
// Secret) installs the version it serves; pinning another version installs
// that one; destroy removes release and Promise, checked through the API.
func TestAccPromiseRelease_lifecycle(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	src := newPromiseSource(t)
	v1 := src.put("/v1/promise.yaml", p.releaseYAML("v1.0.0"))
	v2 := src.put("/private/v2/promise.yaml", p.releaseYAML("v2.0.0"))
	name := p.Name + "-release"
	createTestSecret(t, "default", name+"-auth", map[string]string{kratix.ReleaseAuthorizationKey: "Bearer " + src.token})
	base := harness.Current().ProviderConfig()
	str := knownvalue.StringExact

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkReleaseGone(t, name, p.Name),
		Steps: []resource.TestStep{
			{
				Config: base + releaseHCL(name, v1, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					// The provider fetched the URL itself: the Promise and
					// its version are known before Kratix installs them.
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("promise"), str(p.Name)),
						plancheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("version"), str("v1.0.0")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("promise"), str(p.Name)),
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("version"), str("v1.0.0")),
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("installed"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("status"), str("Installed")),
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("id"), str(name)),
				},
				Check: checkReleasedPromise(t, name, p.Name, "v1.0.0"),
			},
			{
				ResourceName:            releaseAddr,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config: base + releaseHCL(name, v2, fmt.Sprintf(
					"  authorization_secret_ref = { name = %q, namespace = \"default\" }", name+"-auth")),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(releaseAddr, plancheck.ResourceActionUpdate),
						plancheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("version"), str("v2.0.0")),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("version"), str("v2.0.0")),
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("promise"), str(p.Name)),
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("installed"), knownvalue.Bool(true)),
				},
				Check: checkReleasedPromise(t, name, p.Name, "v2.0.0"),
			},
			{
				// Back to v1, pinned: Kratix installs again because the
				// version changes.
				Config: base + releaseHCL(name, v1, `  version = "v1.0.0"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(releaseAddr, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("version"), str("v1.0.0")),
					statecheck.ExpectKnownValue(releaseAddr, tfjsonpath.New("installed"), knownvalue.Bool(true)),
				},
				Check: checkReleasedPromise(t, name, p.Name, "v1.0.0"),
			},
		},
	})
}

// TestAccPromiseRelease_fetchFailures: what Kratix cannot install fails
// the apply with Kratix's reason, the URL and what to do, well before the
// (short) timeouts: a URL that answers 404, a Promise without a version
// label, a version the Promise is not labelled with, and an update to a URL
// that answers 404.
func TestAccPromiseRelease_fetchFailures(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	src := newPromiseSource(t)
	missing := src.put("/elsewhere.yaml", "unused") + "-missing"
	unlabelled := src.put("/unlabelled.yaml", p.releaseYAML(""))
	labelled := src.put("/v1.yaml", p.releaseYAML("v1.0.0"))
	timeouts := "  timeouts {\n    create = \"3m\"\n  }"
	updateTimeouts := "  timeouts {\n    update = \"3m\"\n  }"
	base := harness.Current().ProviderConfig()
	words := func(s string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)` + strings.ReplaceAll(s, " ", `\s+`))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: resource.ComposeTestCheckFunc(checkReleaseGone(t, p.Name+"-missing", p.Name),
			checkReleaseGone(t, p.Name+"-update", p.Name)),
		Steps: []resource.TestStep{
			{
				// Kratix 2025-09 and 2026 refuse it in their webhook; the
				// emulator, like Kratix's controller, reports
				// FailedToFetchPromise.
				Config:      base + releaseHCL(p.Name+"-missing", missing, timeouts),
				ExpectError: words(`Kratix cannot (fetch the Promise of|install) PromiseRelease ` + p.Name + `-missing.*` + regexp.QuoteMeta(missing) + `.*reachable from Kratix's controller manager`),
			},
			{
				Config:      base + releaseHCL(p.Name+"-unlabelled", unlabelled, timeouts),
				ExpectError: words(`Kratix cannot install PromiseRelease ` + p.Name + `-unlabelled.*VersionLabelNotFound.*` + regexp.QuoteMeta(unlabelled) + `.*Add the label`),
			},
			{
				Config:      base + releaseHCL(p.Name+"-mismatch", labelled, `  version = "v9.9.9"`+"\n"+timeouts),
				ExpectError: words(`Kratix cannot install PromiseRelease ` + p.Name + `-mismatch.*VersionNotMatching.*` + regexp.QuoteMeta(labelled) + `.*asks for version "v9.9.9"`),
			},
			{
				Config: base + releaseHCL(p.Name+"-update", labelled, updateTimeouts),
				Check:  checkReleasedPromise(t, p.Name+"-update", p.Name, "v1.0.0"),
			},
			{
				// An update to a URL Kratix cannot fetch: the Installed=True
				// of the create is not taken for the new URL's outcome, and
				// the failure comes at once, not at the update timeout.
				Config:      base + releaseHCL(p.Name+"-update", missing, updateTimeouts),
				ExpectError: words(`Kratix cannot install PromiseRelease ` + p.Name + `-update.*FailedToFetchPromise.*` + regexp.QuoteMeta(missing)),
			},
		},
	})
}

// TestAccPromiseRelease_forceDestroy: destroying a release whose Promise
// has requests is refused, naming them, and deletes nothing; with
// force_destroy applied, destroy deletes the release, the Promise and,
// through Kratix, the request.
func TestAccPromiseRelease_forceDestroy(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	src := newPromiseSource(t)
	url := src.put("/promise.yaml", p.releaseYAML("v1.0.0"))
	name := p.Name + "-release"
	base := harness.Current().ProviderConfig()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(s *terraform.State) error {
			if err := checkReleaseGone(t, name, p.Name)(s); err != nil {
				return err
			}
			_, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default").Get(context.Background(), "outside", metav1.GetOptions{})
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("the request of the released Promise still exists (err=%v)", err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{Config: base + releaseHCL(name, url, "")},
			{
				PreConfig:   func() { createOutsideRequest(t, p) },
				Config:      base + releaseHCL(name, url, ""),
				Destroy:     true,
				ExpectError: regexp.MustCompile(`(?s)Promise ` + p.Name + ` still has 1 resource\s+request.*default/outside.*force_destroy\s+=\s+true\s+on\s+the\s+kratix_promise_release`),
			},
			{
				Config: base + releaseHCL(name, url, ""),
				Check:  checkReleasedPromise(t, name, p.Name, "v1.0.0"), // nothing was deleted
			},
			{Config: base + releaseHCL(name, url, "  force_destroy = true")},
		},
	})
}

// TestAccPromiseRelease_refusesExistingPromise: a release whose URL serves
// a Promise that exists and that no release installed fails before
// anything is written, and leaves that Promise alone.
func TestAccPromiseRelease_refusesExistingPromise(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	src := newPromiseSource(t)
	url := src.put("/promise.yaml", p.releaseYAML("v1.0.0"))
	name := p.Name + "-release"
	config := harness.Current().ProviderConfig() + p.HCL() + strings.Replace(releaseHCL(name, url, ""), "\n}\n",
		"  depends_on = [kratix_promise.test]\n}\n", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkPromisesGone(t),
		Steps: []resource.TestStep{
			{
				Config:      config,
				ExpectError: regexp.MustCompile(`(?s)Promise ` + p.Name + ` already exists.*no PromiseRelease installed.*force_conflicts`),
				Check:       checkNoRelease(t, name),
			},
			{
				Config: harness.Current().ProviderConfig() + p.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					promise, err := harness.Current().Dynamic(t).Resource(promisesGVR).Get(context.Background(), p.Name, metav1.GetOptions{})
					if err != nil {
						return err
					}
					if len(promise.GetOwnerReferences()) > 0 || promise.GetLabels()[kratix.LabelPromiseReleaseName] != "" {
						return fmt.Errorf("promise %s was taken over: %v %v", p.Name, promise.GetOwnerReferences(), promise.GetLabels())
					}
					return checkNoRelease(t, name)(nil)
				},
			},
		},
	})
}

func createOutsideRequest(t *testing.T, p testPromise) {
	t.Helper()
	request := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "test.kratix.io/v1alpha1", "kind": p.Kind,
		"metadata": map[string]any{"name": "outside", "namespace": "default"},
		"spec":     map[string]any{"replicas": int64(1)},
	}}
	if _, err := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default").Create(context.Background(), request, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a request of %s: %v", p.Name, err)
	}
}

// checkReleasedPromise checks through the API that the release installed
// the Promise at the version, labelled and owned as Kratix does.
func checkReleasedPromise(t *testing.T, release, promise, version string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		client := harness.Current().Dynamic(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rel, err := client.Resource(releasesGVR).Get(ctx, release, metav1.GetOptions{})
		if err != nil {
			return err
		}
		obj, err := client.Resource(promisesGVR).Get(ctx, promise, metav1.GetOptions{})
		if err != nil {
			return err
		}
		labels := obj.GetLabels()
		if labels[kratix.LabelPromiseReleaseName] != release || labels[kratix.LabelPromiseVersion] != version {
			return fmt.Errorf("promise %s has labels %v, want %s=%s and version %s", promise, labels, kratix.LabelPromiseReleaseName, release, version)
		}
		for _, ref := range obj.GetOwnerReferences() {
			if ref.UID == rel.GetUID() && ref.Controller != nil && *ref.Controller {
				return nil
			}
		}
		return fmt.Errorf("promise %s is not controlled by PromiseRelease %s: %v", promise, release, obj.GetOwnerReferences())
	}
}

func checkNoRelease(t *testing.T, release string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, err := harness.Current().Dynamic(t).Resource(releasesGVR).Get(context.Background(), release, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("PromiseRelease %s exists (err=%v)", release, err)
		}
		return nil
	}
}

// checkReleaseGone asserts through the API that the release and its
// Promise are gone.
func checkReleaseGone(t *testing.T, release, promise string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if err := checkNoRelease(t, release)(nil); err != nil {
			return err
		}
		_, err := harness.Current().Dynamic(t).Resource(promisesGVR).Get(context.Background(), promise, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("promise %s still exists after destroy (err=%v)", promise, err)
		}
		return nil
	}
}

// TestAccPromiseRelease_identity (Terraform 1.12+): the release reports
// its name as identity, and an import block with only that identity
// imports it with nothing to change.
func TestAccPromiseRelease_identity(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.ResourceIdentity)
	p := newTestPromise()
	src := newPromiseSource(t)
	name := p.Name + "-release"
	config := harness.Current().ProviderConfig() + releaseHCL(name, src.put("/promise.yaml", p.releaseYAML("v1.0.0")), "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   harness.MinTerraform(tfversion.Version1_12_0),
		CheckDestroy:             checkReleaseGone(t, name, p.Name),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(releaseAddr, map[string]knownvalue.Check{"name": knownvalue.StringExact(name)}),
				},
			},
			{Config: config, ResourceName: releaseAddr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity},
		},
	})
}

// TestAccPromiseRelease_query (Terraform 1.14+): `terraform query` finds a
// release and writes a resource block with its name and url, and nothing
// Kratix computes.
func TestAccPromiseRelease_query(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.ListResources)
	p := newTestPromise()
	src := newPromiseSource(t)
	name := p.Name + "-release"
	url := src.put("/promise.yaml", p.releaseYAML("v1.0.0"))
	cli := appliedCLI(t, harness.Current().ProviderConfig()+releaseHCL(name, url, ""))
	cli.writeFile("releases.tfquery.hcl", "list \"kratix_promise_release\" \"all\" {\n  provider = kratix\n}\n")
	cli.run("query", "-generate-config-out=generated.tf")
	generated := cli.readFile("generated.tf")
	for _, want := range []string{fmt.Sprintf("name = %q", name), fmt.Sprintf("url  = %q", url)} {
		if !strings.Contains(strings.Join(strings.Fields(generated), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("the generated configuration lacks %s:\n%s", want, generated)
		}
	}
	if strings.Contains(generated, "installed") {
		t.Errorf("the generated configuration holds computed attributes:\n%s", generated)
	}
}
