package platform

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// OpenTofuVersion is the OpenTofu CLI that EnsureOpenTofu builds, for the
// acceptance tests' OpenTofu pass: the newest stable release the Go module
// proxy serves.
const OpenTofuVersion = "v1.12.6"

// openTofuSum is the go.sum hash of the module at OpenTofuVersion.
const openTofuSum = "h1:0VT4P8pMmGcCUnQ9JDrJ+Qg2d35Vzm4FFd/9+H7oF98="

// EnvOpenTofuPath points EnsureOpenTofu at an OpenTofu CLI the user
// already has, instead of building one.
const EnvOpenTofuPath = "KRATIX_TOFU_PATH"

// openTofuCLI needs no patch: unlike Terraform's, OpenTofu's go.mod
// replaces no package with a nested module of its repository (its remote
// state backends are packages of the main module), so the module as the
// proxy serves it builds as it is.
//
// It is built without optimisation: from an empty Go cache that costs a
// third less CPU (measured 283 s against 190 s on 2 cores), while the
// OpenTofu pass runs about 450 short commands, whose CPU (17 s in a whole
// pass) roughly doubles. On a cold machine the build is what counts.
var openTofuCLI = moduleCLI{
	name: "OpenTofu", module: "github.com/opentofu/opentofu", version: OpenTofuVersion, sum: openTofuSum,
	binary: "tofu", pkg: "./cmd/tofu",
	gcflags:   "all=-N -l",
	coldBuild: "4 to 6 minutes on 2 cores",
}

// EnsureOpenTofu returns the path of an OpenTofu CLI at OpenTofuVersion:
// $KRATIX_TOFU_PATH if set (it must be OpenTofu), else the cache entry
// keyed by the version, its module hash and the Go version, built from the
// Go module proxy on a miss (minutes cold; concurrent callers share one
// build through a file lock). OpenTofu is MPL-2.0, but its source stays out
// of this repository like Terraform's.
func EnsureOpenTofu(ctx context.Context, logf func(string, ...any)) (string, error) {
	if path := os.Getenv(EnvOpenTofuPath); path != "" {
		if err := checkOpenTofu(ctx, path); err != nil {
			return "", fmt.Errorf("%s=%s: %w; point it at OpenTofu, or unset it to build %s",
				EnvOpenTofuPath, path, err, OpenTofuVersion)
		}
		return path, nil
	}
	return openTofuCLI.ensure(ctx, logf)
}

// checkOpenTofu runs the CLI at path and checks that it is OpenTofu:
// `version` prints "OpenTofu v..." where Terraform prints "Terraform
// v...". OpenTofu prints warnings about the CLI configuration on stdout
// too, before it, so the line is looked for.
func checkOpenTofu(ctx context.Context, path string) error {
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("running %s version: %w", path, err)
	}
	if OpenTofuVersionLine(string(out)) == "" {
		return fmt.Errorf("it is not OpenTofu: it prints %q", strings.TrimSpace(string(out)))
	}
	return nil
}

// OpenTofuVersionLine returns the "OpenTofu v..." line of the output of
// `tofu version`, or "".
func OpenTofuVersionLine(out string) string {
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "OpenTofu v") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}
