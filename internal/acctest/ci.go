package acctest

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// InCI reports whether the tests run in CI (CI=true, as GitHub Actions,
// GitLab CI and most other systems set it). There a test must fail, not
// skip, when the machine lacks what it needs: a skipped test proves nothing.
func InCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// MinTerraform is the TerraformVersionChecks of a test that needs at least
// that Terraform CLI version (write-only attributes, import blocks): it
// skips on an older CLI, and fails instead when InCI.
func MinTerraform(minimum *version.Version) []tfversion.TerraformVersionCheck {
	if InCI() {
		return []tfversion.TerraformVersionCheck{requireTerraform{minimum}}
	}
	return []tfversion.TerraformVersionCheck{tfversion.SkipBelow(minimum)}
}

// requireTerraform fails the test on an older CLI and says how to provide
// a newer one.
type requireTerraform struct{ minimum *version.Version }

func (r requireTerraform) CheckTerraformVersion(ctx context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	tfversion.RequireAbove(r.minimum).CheckTerraformVersion(ctx, req, resp)
	if resp.Error != nil {
		resp.Error = fmt.Errorf("%w: this test needs Terraform %s or later and CI=true turns the skip into a failure; "+
			"put a newer terraform on PATH or set TF_ACC_TERRAFORM_PATH", resp.Error, r.minimum)
	}
}
