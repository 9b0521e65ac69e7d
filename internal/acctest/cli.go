package acctest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

// EnvTestCLI picks the CLI the acceptance tests drive: "terraform" (the
// default) or "tofu", which runs every test on OpenTofu at
// platform.OpenTofuVersion (built into the cache on first use; `make tofu`
// builds it up front) and skips the tests of what OpenTofu lacks.
const EnvTestCLI = "KRATIX_TEST_CLI"

// OpenTofu's registry host: OpenTofu resolves a provider source without a
// host there, so the provider is served to it under that address.
const openTofuRegistryHost = "registry.opentofu.org"

// OnOpenTofu reports whether the tests drive OpenTofu (KRATIX_TEST_CLI=tofu).
func OnOpenTofu() bool { return os.Getenv(EnvTestCLI) == "tofu" }

func checkTestCLI() error {
	switch v := os.Getenv(EnvTestCLI); v {
	case "", "terraform", "tofu":
		return nil
	default:
		return fmt.Errorf("%s=%q: want terraform or tofu", EnvTestCLI, v)
	}
}

// ProviderAddress is the provider's address for the CLI the tests drive,
// for tests that serve it themselves (TF_REATTACH_PROVIDERS).
func ProviderAddress() string {
	host := "registry.terraform.io"
	if OnOpenTofu() {
		host = openTofuRegistryHost
	}
	return host + "/kratix-community/kratix"
}

var openTofu = sync.OnceValues(func() (string, error) {
	return platform.EnsureOpenTofu(context.Background(), logf)
})

// useOpenTofu points terraform-plugin-testing at OpenTofu: the CLI, and
// the registry host the provider is served under.
func useOpenTofu() error {
	path, err := openTofu()
	if err != nil {
		return fmt.Errorf("%s=tofu, and OpenTofu %s is unavailable: %w\n"+
			"`make tofu` builds it and shows why a build fails; %s names an OpenTofu you already have",
			EnvTestCLI, platform.OpenTofuVersion, err, platform.EnvOpenTofuPath)
	}
	logf("%s=tofu: the tests drive OpenTofu, %s", EnvTestCLI, path)
	_ = os.Setenv("TF_ACC_PROVIDER_HOST", openTofuRegistryHost)
	return os.Setenv("TF_ACC_TERRAFORM_PATH", path)
}

// CLIFeature is a feature of the Terraform language or CLI that some tests
// need and that only recent Terraform, or not OpenTofu, has.
type CLIFeature struct {
	name string
	// openTofu: OpenTofu at platform.OpenTofuVersion has it too.
	openTofu bool
}

var (
	// ListResources: list blocks in .tfquery.hcl files and the query
	// command (Terraform 1.14). OpenTofu has neither: see
	// TestAccOpenTofu_refusesListAndAction in package provider.
	ListResources = CLIFeature{name: "list resources (list blocks and the query command)"}
	// Actions: action blocks, action_trigger and apply -invoke
	// (Terraform 1.14). OpenTofu has none of them.
	Actions = CLIFeature{name: "actions (action blocks, action_trigger, apply -invoke)"}
	// ResourceIdentity: import blocks that name the object by its identity
	// (Terraform 1.12, OpenTofu 1.12).
	ResourceIdentity = CLIFeature{name: "resource identity (import blocks with identity)", openTofu: true}
)

// NeedCLIFeature runs the test on a CLI that has the feature. On Terraform
// that is the current Terraform (CurrentTerraform). On OpenTofu the test
// keeps OpenTofu when it has the feature and skips, saying so, when it
// does not: the Terraform passes run it.
func NeedCLIFeature(t *testing.T, f CLIFeature) {
	t.Helper()
	if OnOpenTofu() {
		if !f.openTofu {
			t.Skipf("OpenTofu %s has no %s; this test runs on Terraform only", platform.OpenTofuVersion, f.name)
		}
		return
	}
	t.Setenv("TF_ACC_TERRAFORM_PATH", CurrentTerraform(t))
}
