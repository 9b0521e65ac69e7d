package platform

import (
	"context"
	"errors"
	"fmt"
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
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	for name, pkg := range map[string]string{
		binKratixManager:   KratixModule + "/cmd",
		binPipelineAdapter: KratixModule + "/work-creator",
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(tmp, name), pkg)
		cmd.Dir, cmd.Env = toolsDir, kratixGoEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building %s in %s failed: %w\n%s", pkg, toolsDir, err, out)
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
