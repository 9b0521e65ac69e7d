package provider

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccDestroyNotBlockedByPlanChecks: a Promise and a request whose spec
// the API server refuses, in one apply. The request's create fails (its
// spec could not be checked at plan: no Promise yet), and the destroy that
// follows must not fail on the same check, which Terraform's refresh before
// a destroy would otherwise run. The provider runs as a plugin binary
// started by the Terraform CLI, as in production, since that is how it
// tells the destroy's refresh apart.
func TestAccDestroyNotBlockedByPlanChecks(t *testing.T) {
	testAccPreCheck(t)
	dir := t.TempDir()
	binDir := filepath.Join(dir, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "terraform-provider-kratix"), harness.RepoFile())
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	rc := filepath.Join(dir, "terraformrc")
	writeFile(t, rc, "provider_installation {\n  dev_overrides {\n    \"kratix-community/kratix\" = \""+binDir+"\"\n  }\n  direct {}\n}\n")
	p := newTestPromise()
	writeFile(t, filepath.Join(dir, "main.tf"), harness.Current().ProviderConfig()+p.HCL()+`
resource "kratix_resource_request" "test" {
  promise = kratix_promise.test.name
  name    = "refused"
  spec    = { replicas = 0 }
}
`)
	terraform := func(args ...string) (string, error) {
		cmd := exec.Command(os.Getenv("TF_ACC_TERRAFORM_PATH"), append(args, "-auto-approve", "-input=false", "-no-color")...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := terraform("apply")
	if err == nil || !strings.Contains(out, "replicas") {
		t.Fatalf("apply: want the API server to refuse spec.replicas, got err=%v\n%s", err, out)
	}
	if out, err := terraform("destroy"); err != nil {
		t.Fatalf("destroy was blocked: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := harness.Current().Dynamic(t).Resource(promisesGVR).Get(ctx, p.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Promise %s still exists after destroy (err=%v)", p.Name, err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
