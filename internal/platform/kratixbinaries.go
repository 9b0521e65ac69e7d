package platform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binary names of the real Kratix in its bin directory.
const (
	binKratixManager   = "kratix-manager"
	binPipelineAdapter = "pipeline-adapter"
)

// KratixModule is the Kratix version tools/kratix pins: the only one the Go
// module proxy serves (main of 2025-09-23).
const KratixModule = "github.com/syntasso/kratix"

// EnvKratixBinDir points real mode at a directory that already holds
// kratix-manager (Kratix's cmd) and pipeline-adapter (its work-creator).
const EnvKratixBinDir = "KRATIX_CONTROLLER_BIN_DIR"

// EnvKratixSourceDir points real mode at a Kratix checkout (a directory
// holding Kratix's go.mod, cmd/, work-creator/ and config/) to build and run
// instead of the pinned module: a branch, or a newer main than the module
// proxy serves. Its CRDs, webhooks and RBAC come from its config/ too.
const EnvKratixSourceDir = "KRATIX_SOURCE_DIR"

// KratixBinaries are the real Kratix controller manager and pipeline
// adapter, and the Kratix module source they were built from (its config/
// directory holds the CRDs, webhooks and RBAC real mode installs).
type KratixBinaries struct {
	Manager         string
	PipelineAdapter string
	ModuleDir       string
}

// EnsureKratixBinaries returns the real Kratix binaries: from
// $KRATIX_CONTROLLER_BIN_DIR if set, else from the cache entry keyed by the
// pinned tools/kratix module and the Go version, building them from the Go
// module proxy on a miss (minutes cold; concurrent callers share one build
// through a file lock).
func EnsureKratixBinaries(ctx context.Context, logf func(string, ...any)) (*KratixBinaries, error) {
	if source := os.Getenv(EnvKratixSourceDir); source != "" {
		return kratixFromSource(ctx, source, logf)
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	toolsDir := filepath.Join(root, "tools", "kratix")
	moduleDir, err := kratixModuleDir(ctx, toolsDir)
	if err != nil {
		return nil, err
	}
	dir := os.Getenv(EnvKratixBinDir)
	if dir == "" {
		if dir, err = cachedKratixBuild(ctx, toolsDir, logf); err != nil {
			return nil, err
		}
	}
	return kratixBinariesIn(dir, moduleDir)
}

// kratixBinariesIn are the binaries in dir, built from the source at
// moduleDir.
func kratixBinariesIn(dir, moduleDir string) (*KratixBinaries, error) {
	bins := &KratixBinaries{
		Manager:         filepath.Join(dir, binKratixManager),
		PipelineAdapter: filepath.Join(dir, binPipelineAdapter),
		ModuleDir:       moduleDir,
	}
	return bins, checkKratixBinaries(dir)
}

// EnsureModeBinaries finds or builds what a platform of mode runs: the
// platform's binaries (unless binDir names them) and, in real mode, Kratix's,
// built side by side, since on a cold cache the two builds are the longest
// part of a start.
func EnsureModeBinaries(ctx context.Context, mode Mode, binDir string, logf func(string, ...any)) (string, *KratixBinaries, error) {
	var kratixBins *KratixBinaries
	var kratixErr error
	kratixBuilt := make(chan struct{})
	go func() {
		defer close(kratixBuilt)
		if mode == ModeReal {
			kratixBins, kratixErr = ensureKratixBinariesRetrying(ctx, logf)
		}
	}()
	var err error
	if binDir == "" {
		binDir, err = EnsureBinaries(ctx, logf)
	}
	<-kratixBuilt
	if err = errors.Join(err, kratixErr); err != nil {
		return "", nil, err
	}
	return binDir, kratixBins, nil
}

// ensureKratixBinariesRetrying is EnsureKratixBinaries tried once more after
// a failure, still beside the platform's build. A failure was seen on a cold
// machine with go's module cache filling up beside it.
func ensureKratixBinariesRetrying(ctx context.Context, logf func(string, ...any)) (*KratixBinaries, error) {
	bins, err := EnsureKratixBinaries(ctx, logf)
	if err == nil || ctx.Err() != nil {
		return bins, err
	}
	logf("finding or building the Kratix binaries failed (%v); trying once more", err)
	return EnsureKratixBinaries(ctx, logf)
}

func cachedKratixBuild(ctx context.Context, toolsDir string, logf func(string, ...any)) (string, error) {
	return cachedBuild{
		prefix: "kratix", what: "the Kratix controller manager and pipeline adapter", module: "Kratix",
		coldBuild: "about 15 minutes on 2 cores",
		keyFiles:  []string{"go.mod", "go.sum"},
		check:     checkKratixBinaries,
		build:     func(ctx context.Context, dir string) error { return buildKratix(ctx, toolsDir, dir) },
	}.ensure(ctx, toolsDir, logf)
}

// kratixFromSource builds (or finds in the cache, keyed by the checkout's
// content) the manager and pipeline adapter of a Kratix checkout.
func kratixFromSource(ctx context.Context, source string, logf func(string, ...any)) (*KratixBinaries, error) {
	source, err := filepath.Abs(source)
	if err != nil {
		return nil, err
	}
	for _, want := range []string{"go.mod", "cmd", "work-creator", filepath.Join("config", "crd", "bases")} {
		if _, err := os.Stat(filepath.Join(source, want)); err != nil {
			return nil, fmt.Errorf("%s=%s is not a Kratix checkout (no %s): %w", EnvKratixSourceDir, source, want, err)
		}
	}
	content, err := treeHash(source)
	if err != nil {
		return nil, fmt.Errorf("reading the Kratix checkout %s: %w", source, err)
	}
	dir, err := cachedBuild{
		prefix: "kratix-src", what: "the Kratix controller manager and pipeline adapter from " + source, module: "Kratix",
		coldBuild: "about 8 minutes on 2 cores",
		pinned:    []string{content},
		check:     checkKratixBinaries,
		build: func(ctx context.Context, dir string) error {
			// -mod=readonly: the checkout may be read-only, and a build
			// must never rewrite its go.mod or go.sum.
			env := append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
			return buildKratixPackages(ctx, source, dir, env, map[string]string{binKratixManager: "./cmd", binPipelineAdapter: "./work-creator"})
		},
	}.ensure(ctx, source, logf)
	if err != nil {
		return nil, err
	}
	return kratixBinariesIn(dir, source)
}

// treeHash hashes the names and contents of the files under root, .git
// left out: a checkout's build is cached by what it holds, whatever its
// path or commit.
func treeHash(root string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		_, _ = fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data)) // a hash.Hash never fails a write
		h.Write(data)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func checkKratixBinaries(dir string) error {
	for _, name := range []string{binKratixManager, binPipelineAdapter} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("kratix binary %s missing in %s (set %s to a directory holding %s and %s, or unset it to build them): %w",
				name, dir, EnvKratixBinDir, binKratixManager, binPipelineAdapter, err)
		}
	}
	return nil
}

// kratixGoEnv lets the go command fetch Kratix: the checksum database does
// not know the pinned pseudo-version, so go.sum in tools/kratix is the only
// check. CGO is off so that the pipeline adapter runs in an empty root.
func kratixGoEnv() []string {
	return append(os.Environ(), "GONOSUMDB=github.com/syntasso/*", "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
}

func buildKratix(ctx context.Context, toolsDir, dir string) error {
	return buildKratixPackages(ctx, toolsDir, dir, kratixGoEnv(), map[string]string{
		binKratixManager:   KratixModule + "/cmd",
		binPipelineAdapter: KratixModule + "/work-creator",
	})
}

// buildKratixPackages builds each binary name from its package, in the
// module at moduleDir with the environment env, into dir.
func buildKratixPackages(ctx context.Context, moduleDir, dir string, env []string, packages map[string]string) error {
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	for name, pkg := range packages {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(tmp, name), pkg)
		cmd.Dir, cmd.Env = moduleDir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s in %s failed: %w\n%s", pkg, moduleDir, err, out)
		}
	}
	_ = os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// kratixModuleDir downloads (or finds) the pinned Kratix module source.
func kratixModuleDir(ctx context.Context, toolsDir string) (string, error) {
	// A fresh command per run: an exec.Cmd runs once.
	goCmd := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Env = toolsDir, kratixGoEnv()
		return cmd
	}
	list := func() ([]byte, error) { return goCmd("list", "-m", "-f", "{{.Dir}}", KratixModule).Output() }
	out, err := list()
	if err == nil && strings.TrimSpace(string(out)) == "" {
		if dlOut, dlErr := goCmd("mod", "download", KratixModule).CombinedOutput(); dlErr != nil {
			return "", fmt.Errorf("downloading %s: %w\n%s", KratixModule, dlErr, dlOut)
		}
		out, err = list()
	}
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			err = fmt.Errorf("%w\n%s", err, exitErr.Stderr)
		}
		return "", fmt.Errorf("finding the %s module source from %s: %w", KratixModule, toolsDir, err)
	}
	return strings.TrimSpace(string(out)), nil
}
