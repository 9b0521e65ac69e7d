package acctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

// isolateTerraform picks the Terraform CLI and keeps the user's own CLI
// configuration, and HashiCorp's update check, out of the tests.
func isolateTerraform() error {
	_ = os.Setenv("CHECKPOINT_DISABLE", "1")
	// Serve the provider under its Registry address, kratix-community/kratix.
	_ = os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "kratix-community")
	// Never let terraform-plugin-testing download a CLI: there is no
	// network here, and the version must be the one we chose.
	_ = os.Unsetenv("TF_ACC_TERRAFORM_VERSION")
	if err := writeCLIConfig(); err != nil {
		return err
	}
	if err := checkTestCLI(); err != nil {
		return err
	}
	if OnOpenTofu() {
		return useOpenTofu()
	}
	if path := os.Getenv("TF_ACC_TERRAFORM_PATH"); path != "" {
		return nil
	}
	if path, err := exec.LookPath("terraform"); err == nil {
		return os.Setenv("TF_ACC_TERRAFORM_PATH", path)
	}
	// No CLI installed: use the current Terraform the tests of newer
	// features need anyway, so that a machine builds only one.
	path, err := currentTerraform()
	if err != nil {
		return fmt.Errorf("no terraform on PATH and TF_ACC_TERRAFORM_PATH unset, and building Terraform %s failed: %w",
			platform.CurrentTerraformVersion, err)
	}
	logf("no terraform on PATH: using Terraform %s, %s", platform.CurrentTerraformVersion, path)
	return os.Setenv("TF_ACC_TERRAFORM_PATH", path)
}

func writeCLIConfig() error {
	dir, err := os.MkdirTemp("", "kratix-acc-tfcli-")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "terraformrc")
	if err := os.WriteFile(path, []byte("# written by the acceptance harness\n"), 0o644); err != nil {
		return err
	}
	return os.Setenv("TF_CLI_CONFIG_FILE", path)
}
