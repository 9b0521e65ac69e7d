package acctest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

// fallbackTerraformVersion is built from the Go module proxy when no CLI is
// installed. Newer tags carry replace directives that `go install` refuses.
const fallbackTerraformVersion = "v1.8.5"

// isolateTerraform picks the Terraform CLI and keeps the user's own CLI
// configuration, and HashiCorp's update check, out of the tests.
func isolateTerraform(ctx context.Context) error {
	_ = os.Setenv("CHECKPOINT_DISABLE", "1")
	// Serve the provider under its Registry address, kratix-community/kratix.
	_ = os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "kratix-community")
	// Never let terraform-plugin-testing download a CLI: there is no
	// network here, and the version must be the one we chose.
	_ = os.Unsetenv("TF_ACC_TERRAFORM_VERSION")
	if err := writeCLIConfig(); err != nil {
		return err
	}
	if path := os.Getenv("TF_ACC_TERRAFORM_PATH"); path != "" {
		return nil
	}
	if path, err := exec.LookPath("terraform"); err == nil {
		return os.Setenv("TF_ACC_TERRAFORM_PATH", path)
	}
	path, err := buildTerraform(ctx)
	if err != nil {
		return err
	}
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

// buildTerraform installs a pinned Terraform into the cache, once.
func buildTerraform(ctx context.Context) (string, error) {
	cache, err := platform.CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "terraform-"+fallbackTerraformVersion)
	bin := filepath.Join(dir, "terraform")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	logf("no terraform on PATH: building terraform %s into %s", fallbackTerraformVersion, dir)
	cmd := exec.CommandContext(ctx, "go", "install",
		"-ldflags", "-X github.com/hashicorp/terraform/version.dev=no",
		"github.com/hashicorp/terraform@"+fallbackTerraformVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building terraform %s: %w\n%s", fallbackTerraformVersion, err, out)
	}
	return bin, nil
}
