package acctest

import (
	"context"
	"sync"
	"testing"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

var currentTerraform = sync.OnceValues(func() (string, error) {
	return platform.EnsureCurrentTerraform(context.Background(), logf)
})

// CurrentTerraform returns the path of a Terraform CLI at
// platform.CurrentTerraformVersion, for tests that need Terraform 1.14 or
// later (resource identity, list resources, actions). The first call in a
// test binary builds it into the cache when missing (minutes; `make
// terraform-current` builds it up front). The test points
// terraform-plugin-testing at it before resource.Test:
//
//	t.Setenv("TF_ACC_TERRAFORM_PATH", acctest.CurrentTerraform(t))
//
// When the build fails the test fails under CI=true and skips otherwise.
func CurrentTerraform(t *testing.T) string {
	t.Helper()
	path, err := currentTerraform()
	if err == nil {
		return path
	}
	if InCI() {
		t.Fatalf("building Terraform %s: %v", platform.CurrentTerraformVersion, err)
	}
	t.Skipf("this test needs Terraform %s, whose build failed: %v\n"+
		"Fix the build (`make terraform-current` retries it) or set %s to a Terraform 1.14 or later binary.",
		platform.CurrentTerraformVersion, err, platform.EnvCurrentTerraformPath)
	return ""
}
