package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// adoptPlatformYAML is a small platform as a team keeps it in a repository
// and applies with kubectl: git and bucket state stores, a Destination, a
// Promise and a request. The Promise's API defaults spec.size, which the API server
// fills in and nobody wrote.
func adoptPlatformYAML(tag, kind, gitURL, s3Endpoint string) string {
	return fmt.Sprintf(`apiVersion: platform.kratix.io/v1alpha1
kind: GitStateStore
metadata:
  name: %[1]s
  labels: {adopt: %[1]s}
spec:
  url: %[3]s
  secretRef: {name: %[1]s-creds, namespace: default}
---
apiVersion: platform.kratix.io/v1alpha1
kind: BucketStateStore
metadata:
  name: %[1]s
  labels: {adopt: %[1]s}
spec:
  endpoint: %[4]s
  bucketName: %[1]s
  insecure: true
  secretRef: {name: %[1]s-s3, namespace: default}
---
apiVersion: platform.kratix.io/v1alpha1
kind: Destination
metadata:
  name: %[1]s
  labels: {adopt: %[1]s, environment: dev}
spec:
  path: dev
  stateStoreRef: {kind: GitStateStore, name: %[1]s}
---
apiVersion: platform.kratix.io/v1alpha1
kind: Promise
metadata:
  name: %[1]s
  labels: {adopt: %[1]s, kratix.io/promise-version: v1.0.0}
spec:
  destinationSelectors:
    - matchLabels: {environment: dev}
  api:
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata: {name: %[2]ss.test.kratix.io}
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
                    size: {type: string, default: small}
                    replicas: {type: integer}
  workflows:
    resource:
      configure:
        - apiVersion: platform.kratix.io/v1alpha1
          kind: Pipeline
          metadata: {name: configure}
          spec:
            containers:
              - {name: main, image: "ghcr.io/example/pipeline:v1"}
`, tag, kind, gitURL, s3Endpoint)
}

func adoptRequestYAML(tag, kind, namespace, name string, replicas int) string {
	return fmt.Sprintf(`apiVersion: test.kratix.io/v1alpha1
kind: %s
metadata:
  name: %s
  namespace: %s
  labels: {team: data, adopt: %s}
spec:
  replicas: %d
`, kind, name, namespace, tag, replicas)
}

// TestAccAdopt_platformWithQuery follows the guide "Adopt an existing
// Kratix platform" with its query file: objects applied outside Terraform (server-side, as
// kubectl apply --server-side does, and one request created as kubectl
// create does, in another namespace) are found by terraform query, which
// writes an import and a resource block for each. The blocks hold what the
// owners wrote: no server default, no label Kratix added, no argument at
// its default. The plan imports them all and changes nothing, the apply
// imports them, the next plan is empty, and destroy deletes them.
func TestAccAdopt_platformWithQuery(t *testing.T) {
	testAccPreCheck(t)
	useCurrentTerraform(t)
	harness.SkipOnExisting(t)
	tag := acctest.RandomWithPrefix("adopt")
	kind := "adopt" + strings.ToLower(acctest.RandStringFromCharSet(8, acctest.CharSetAlpha))
	team := tag + "-team"
	createTestSecret(t, "default", tag+"-creds", testGitCredentials())
	createTestSecret(t, "default", tag+"-s3", map[string]string{"accessKeyID": "AKIAADOPT", "secretAccessKey": "adopt-secret-key-1111"})
	acceptS3Key("AKIAADOPT")
	createNamespace(t, team)
	for _, doc := range strings.Split(adoptPlatformYAML(tag, kind, testGitURL(tag), testS3Endpoint()), "\n---\n") {
		kubectlApply(t, doc, false)
	}
	waitForPromiseAvailable(t, harness.Current().Dynamic(t), tag)
	kubectlApply(t, adoptRequestYAML(tag, kind, "default", "first", 1), false)
	kubectlApply(t, adoptRequestYAML(tag, kind, team, "second", 2), true)

	cli := newTerraformCLI(t, harness.Current().ProviderConfig())
	// The guide's query file, narrowed to this test's objects: the cluster
	// holds other tests' objects too.
	cli.copyFile(harness.RepoFile("examples", "guides", "adopt", "platform.tfquery.hcl"))
	cli.run("query", "-var", fmt.Sprintf("labels={adopt=%q}", tag), "-generate-config-out=generated.tf")
	generated := cli.readFile("generated.tf")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`identity = \{`),
		regexp.MustCompile(`version += "v1.0.0"`),
		regexp.MustCompile(`team += "data"`),
		regexp.MustCompile(`namespace += "` + team + `"`),
		// Applied server-side: only what was written, not the defaulted
		// size. (kubectl create's request shows size: the API server
		// records defaulted fields as the creator's.)
		regexp.MustCompile(`name += "first"\n\s+namespace += "default"\n\s+promise += "` + tag + `"\n(\s+promise_version += null\n)?\s+spec = \{\n\s+replicas = 1\n\s+\}`),
	} {
		if !want.MatchString(generated) {
			t.Errorf("generated.tf does not match %s:\n%s", want, generated)
		}
	}
	for _, unwanted := range []string{"kratix.io/promise-name", "last-applied", "api_version = \"", "wait ", "force_conflicts", "validate_spec", "auth_method", "branch"} {
		if strings.Contains(generated, unwanted) {
			t.Errorf("generated.tf has %q, which no owner wrote:\n%s", unwanted, generated)
		}
	}
	if t.Failed() {
		return
	}
	plan := cli.run("plan", "-input=false")
	if !strings.Contains(plan, "Plan: 6 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("the plan of the generated configuration should import 6 objects and change nothing:\n%s", plan)
	}
	cli.run("apply", "-input=false", "-auto-approve")
	if out := cli.run("plan", "-input=false"); !strings.Contains(out, "No changes.") {
		t.Fatalf("after the import, the plan should be empty:\n%s", out)
	}
	cli.run("destroy", "-input=false", "-auto-approve")
	if err := checkGone(t, gone(promisesGVR, tag), gone(destinationsGVR, tag), gone(gitStateStoresGVR, tag), gone(bucketStateStoresGVR, tag))(nil); err != nil {
		t.Fatal(err)
	}
}

// TestAccList_badFilter: a filter that cannot match is refused when the
// query is validated, naming the attribute and the value.
func TestAccList_badFilter(t *testing.T) {
	testAccPreCheck(t)
	useCurrentTerraform(t)
	cli := newTerraformCLI(t, harness.Current().ProviderConfig())
	cli.writeFile("bad.tfquery.hcl", `list "kratix_resource_request" "bad" {
  provider = kratix
  config { namespace = "Not_A_Namespace" }
}
`)
	out, err := cli.try("query")
	if err == nil || !regexp.MustCompile(`(?s)"Not_A_Namespace" must be a lowercase RFC 1123(.|\n)*label`).MatchString(out) {
		t.Fatalf("a namespace that is not a DNS label should fail the query, quoting it; got err=%v:\n%s", err, out)
	}
}

// kubectlApply writes one YAML document through the API as kubectl does:
// create (field manager kubectl-create) or server-side apply (field
// manager kubectl). The object is deleted when the test ends, if still
// there.
func kubectlApply(t *testing.T, doc string, create bool) {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
		t.Fatalf("test YAML: %v\n%s", err, doc)
	}
	gv, err := schema.ParseGroupVersion(obj.GetAPIVersion())
	if err != nil {
		t.Fatal(err)
	}
	// The test's kinds all have regular plurals; an empty namespace
	// addresses a cluster-scoped object.
	ri := harness.Current().Dynamic(t).Resource(gv.WithResource(strings.ToLower(obj.GetKind()) + "s")).Namespace(obj.GetNamespace())
	ctx := context.Background()
	if create {
		_, err = ri.Create(ctx, obj, metav1.CreateOptions{FieldManager: "kubectl-create"})
	} else {
		_, err = ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: "kubectl"})
	}
	if err != nil {
		t.Fatalf("applying %s %s: %v", obj.GetKind(), obj.GetName(), err)
	}
	t.Cleanup(func() { _ = ri.Delete(context.Background(), obj.GetName(), metav1.DeleteOptions{}) })
}

func createNamespace(t *testing.T, name string) {
	t.Helper()
	kubectlApply(t, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+name+"\n", false)
}

func (c *terraformCLI) writeFile(name, content string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, name), []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func (c *terraformCLI) copyFile(src string) {
	c.t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		c.t.Fatal(err)
	}
	c.writeFile(filepath.Base(src), string(b))
}

func (c *terraformCLI) readFile(name string) string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}
