package acctest

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

// The Terraform that CurrentTerraform builds reports its pinned version (a
// CLI named by KRATIX_TF_CURRENT_PATH: at least 1.14) and has the `query`
// command of list resources.
func TestAccCurrentTerraform(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	t.Setenv("CHECKPOINT_DISABLE", "1")
	path := CurrentTerraform(t)

	out, err := exec.CommandContext(t.Context(), path, "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version -json: %v\n%s", path, err, out)
	}
	var v struct {
		TerraformVersion string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json printed %q: %v", path, out, err)
	}
	if os.Getenv(platform.EnvCurrentTerraformPath) == "" {
		if want := strings.TrimPrefix(platform.CurrentTerraformVersion, "v"); v.TerraformVersion != want {
			t.Errorf("%s reports Terraform %q, want %q", path, v.TerraformVersion, want)
		}
	} else if got, err := version.NewVersion(v.TerraformVersion); err != nil ||
		got.LessThan(version.Must(version.NewVersion(platform.MinCurrentTerraform))) {
		t.Errorf("%s=%s reports Terraform %q, want %s or later", platform.EnvCurrentTerraformPath, path,
			v.TerraformVersion, platform.MinCurrentTerraform)
	}

	help, err := exec.CommandContext(t.Context(), path, "query", "-help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "terraform [global options] query") {
		t.Errorf("%s query -help: %v\n%s", path, err, help)
	}
}
