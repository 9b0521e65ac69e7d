package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/hashicorp/go-version"
)

// CurrentTerraformVersion is the Terraform CLI that EnsureCurrentTerraform
// builds: tests of resource identity, list resources (`terraform query`)
// and actions need Terraform 1.14 or later.
const CurrentTerraformVersion = "v1.16.4"

// MinCurrentTerraform is the oldest Terraform $KRATIX_TF_CURRENT_PATH may
// name: the first with list resources and actions.
const MinCurrentTerraform = "1.14.0"

// currentTerraformSum is the go.sum hash of the module at
// CurrentTerraformVersion. The go command already checks the download
// against the checksum database; pinning the hash here also keys the cache
// and makes a version bump a deliberate two-line change.
const currentTerraformSum = "h1:0yyJB6OufO0kqoNg95TGhf+41NsG77th1DPSnKBD878="

// terraformPatchRevision changes the cache key when the way the source is
// patched changes, so an old build is not reused.
const terraformPatchRevision = "1"

const terraformModule = "github.com/hashicorp/terraform"

// EnvCurrentTerraformPath points EnsureCurrentTerraform at a Terraform CLI
// (MinCurrentTerraform or later) the user already has, instead of building
// one.
const EnvCurrentTerraformPath = "KRATIX_TF_CURRENT_PATH"

// EnsureCurrentTerraform returns the path of a Terraform CLI at
// CurrentTerraformVersion: $KRATIX_TF_CURRENT_PATH if set, else the cache
// entry keyed by the version, its module hash and the Go version, built on
// a miss (minutes cold; concurrent callers share one build through a file
// lock).
//
// Terraform is licensed BUSL-1.1 since 1.6, so none of its source lives in
// this repository: the build downloads the module from the Go module proxy,
// patches a copy inside the cache entry (see patchTerraformSource) and
// builds it there.
func EnsureCurrentTerraform(ctx context.Context, logf func(string, ...any)) (string, error) {
	if path := os.Getenv(EnvCurrentTerraformPath); path != "" {
		if err := checkCurrentTerraform(ctx, path); err != nil {
			return "", fmt.Errorf("%s=%s: %w; point it at Terraform %s or later, or unset it to build %s",
				EnvCurrentTerraformPath, path, err, MinCurrentTerraform, CurrentTerraformVersion)
		}
		return path, nil
	}
	return currentTerraformCLI.ensure(ctx, logf)
}

var currentTerraformCLI = moduleCLI{
	name: "Terraform", module: terraformModule, version: CurrentTerraformVersion, sum: currentTerraformSum,
	patchRevision: terraformPatchRevision, binary: "terraform", pkg: ".",
	coldBuild: "5 to 8 minutes on 2 cores",
	patch:     patchTerraformSource,
}

// moduleCLI is a CLI built from the source of a pinned Go module, as the
// Go module proxy serves it: the module is copied out of the (read-only)
// module cache, patched where it cannot build here, and built into the
// cache entry keyed by its version, its hash and the Go version.
type moduleCLI struct {
	name, module, version string
	// sum is the go.sum hash of the module at version. The go command
	// already checks the download against the checksum database; pinning
	// the hash here also keys the cache and makes a version bump a
	// deliberate two-line change.
	sum string
	// patchRevision changes the cache key when patch changes, so an old
	// build is not reused.
	patchRevision string
	// binary is the executable's name; pkg the main package in the module.
	binary, pkg string
	// gcflags, if set, is passed to the compiler (and keys the cache).
	gcflags   string
	coldBuild string
	// patch, if set, makes the copied source buildable.
	patch func(src string) error
}

func (c moduleCLI) ensure(ctx context.Context, logf func(string, ...any)) (string, error) {
	dir, err := cachedBuild{
		prefix: c.binary + "-" + c.version, what: c.name + " " + c.version, module: c.name,
		coldBuild: c.coldBuild,
		pinned:    c.pinned(),
		check:     func(dir string) error { return checkExecutable(filepath.Join(dir, c.binary)) },
		build:     c.build,
	}.ensure(ctx, "", logf)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, c.binary), nil
}

// pinned keys the cache entry: what was built, and how.
func (c moduleCLI) pinned() []string {
	pins := []string{c.version, c.sum, c.patchRevision}
	if c.gcflags != "" {
		pins = append(pins, "gcflags "+c.gcflags)
	}
	return pins
}

// checkCurrentTerraform runs the CLI at path and checks its version.
func checkCurrentTerraform(ctx context.Context, path string) error {
	cmd := exec.CommandContext(ctx, path, "version", "-json")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("running %s version -json: %w", path, err)
	}
	var v struct {
		TerraformVersion string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("reading the output of %s version -json: %w", path, err)
	}
	got, err := version.NewVersion(v.TerraformVersion)
	if err != nil {
		return fmt.Errorf("%s reports version %q: %w", path, v.TerraformVersion, err)
	}
	if got.LessThan(version.Must(version.NewVersion(MinCurrentTerraform))) {
		return fmt.Errorf("it is Terraform %s", got)
	}
	return nil
}

func checkExecutable(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// terraformGoEnv runs the go command outside any module and never lets it
// rewrite the go.mod it builds from.
func terraformGoEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=readonly -buildvcs=false", "GOWORK=off")
}

func (c moduleCLI) build(ctx context.Context, dir string) error {
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	moduleDir, err := c.download(ctx, tmp)
	if err != nil {
		return err
	}
	src := filepath.Join(tmp, "src")
	if err := copyTree(moduleDir, src); err != nil {
		return fmt.Errorf("copying the %s source from %s: %w", c.name, moduleDir, err)
	}
	if c.patch != nil {
		if err := c.patch(src); err != nil {
			return fmt.Errorf("patching the %s %s source in %s: %w", c.name, c.version, src, err)
		}
	}
	bin := filepath.Join(tmp, "bin")
	// Both CLIs print a -dev suffix unless told they are a release build.
	args := []string{"build", "-trimpath", "-ldflags", "-X " + c.module + "/version.dev=no"}
	if c.gcflags != "" {
		args = append(args, "-gcflags", c.gcflags)
	}
	cmd := lowPriority(ctx, "go", append(args, "-o", filepath.Join(bin, c.binary), c.pkg)...)
	cmd.Dir, cmd.Env = src, terraformGoEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s %s in %s failed: %w\n%s", c.name, c.version, src, err, out)
	}
	_ = os.RemoveAll(dir)
	if err := os.Rename(bin, dir); err != nil {
		return err
	}
	// The patched source stays after a failure, for a look; the next build
	// starts afresh.
	return os.RemoveAll(tmp)
}

// lowPriority runs a long build under nice where there is one, so that the
// tests running beside it keep the CPU they need.
func lowPriority(ctx context.Context, name string, args ...string) *exec.Cmd {
	if nice, err := exec.LookPath("nice"); err == nil {
		return exec.CommandContext(ctx, nice, append([]string{"-n", "10", name}, args...)...)
	}
	return exec.CommandContext(ctx, name, args...)
}

// download fetches the module into the Go module cache and returns its
// (read-only) directory, after checking its hash against the pinned one.
func (c moduleCLI) download(ctx context.Context, workDir string) (string, error) {
	ref := c.module + "@" + c.version
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", ref)
	cmd.Dir, cmd.Env = workDir, terraformGoEnv()
	out, err := cmd.Output()
	var mod struct{ Dir, Sum, Error string }
	if jsonErr := json.Unmarshal(out, &mod); jsonErr != nil && err == nil {
		err = jsonErr
	}
	if err != nil || mod.Error != "" {
		var stderr []byte
		if exitErr := (*exec.ExitError)(nil); errors.As(err, &exitErr) {
			stderr = exitErr.Stderr
		}
		return "", fmt.Errorf("downloading %s from the Go module proxy: %v %s%s", ref, err, mod.Error, stderr)
	}
	if mod.Sum != c.sum {
		return "", fmt.Errorf("%s has hash %s, want the pinned %s", ref, mod.Sum, c.sum)
	}
	return mod.Dir, nil
}

// copyTree copies a directory tree of regular files. The module cache is
// read-only, so the copy is made writable for patching.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil // module zips hold only regular files
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
