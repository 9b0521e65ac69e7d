package acctest

import (
	"context"
	"fmt"
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
	reason := fmt.Sprintf("this test needs Terraform %s or later, and Terraform %s is unavailable: %v\n"+
		"`make terraform-current` builds it and shows why a build fails; %s names a Terraform you already have",
		platform.MinCurrentTerraform, platform.CurrentTerraformVersion, err, platform.EnvCurrentTerraformPath)
	if InCI() {
		t.Fatal(reason + "\n(CI=true turns this skip into a failure)")
	}
	t.Skip(reason)
	return ""
}
