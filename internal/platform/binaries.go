package platform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Binary names the platform needs in its bin directory.
const (
	binEtcd              = "etcd"
	binKubeAPIServer     = "kube-apiserver"
	binControllerManager = "kube-controller-manager"
)

// EnvBinDir lets a user point the platform at binaries they already have
// (for example envtest assets plus a kube-controller-manager).
const EnvBinDir = "KRATIX_PLATFORM_BIN_DIR"

// EnvCacheDir overrides where built binaries are cached.
const EnvCacheDir = "KRATIX_CACHE_DIR"

// EnsureBinaries returns a directory holding etcd, kube-apiserver and
// kube-controller-manager. It prefers $KRATIX_PLATFORM_BIN_DIR, then a cache
// entry keyed by the pinned tools/platform module and the Go version, and only
// builds from the Go module proxy when the cache misses. A cold build takes
// minutes, so concurrent test packages share one build through a file lock.
func EnsureBinaries(ctx context.Context, logf func(string, ...any)) (string, error) {
	if dir := os.Getenv(EnvBinDir); dir != "" {
		return dir, checkBinaries(dir)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	toolsDir := filepath.Join(root, "tools", "platform")
	return cachedBuild{
		prefix: "platform", what: "kube-apiserver, kube-controller-manager and etcd", module: "platform",
		coldBuild: "about 5 minutes on 2 cores",
		keyFiles:  []string{"go.mod", "go.sum", filepath.Join("etcd", "main.go")},
		check:     checkBinaries,
		build:     func(ctx context.Context, dir string) error { return buildBinaries(ctx, toolsDir, dir) },
	}.ensure(ctx, toolsDir, logf)
}

// cachedBuild is a set of binaries built from a pinned tools module into the
// cache, keyed by the module's files (or pinned strings) and the Go version.
type cachedBuild struct {
	prefix, what, module string
	// coldBuild says how long a build from an empty Go cache takes.
	coldBuild string
	keyFiles  []string
	// pinned are the versions and hashes a build without a tools module
	// is keyed on.
	pinned []string
	check  func(dir string) error
	build  func(ctx context.Context, dir string) error
}

// ensure returns the cache entry, building it on a miss. A cold build takes
// minutes, so concurrent callers share one build through a file lock.
func (b cachedBuild) ensure(ctx context.Context, toolsDir string, logf func(string, ...any)) (string, error) {
	key, err := b.key(ctx, toolsDir)
	if err != nil {
		return "", err
	}
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, b.prefix+"-"+key)
	if b.check(dir) == nil {
		return dir, nil
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if b.check(dir) == nil { // another process built it while we waited
		return dir, nil
	}
	logf("building %s once into %s (from an empty Go cache: %s; later runs reuse it)", b.what, dir, b.coldBuild)
	stop := reportProgress(fmt.Sprintf("still building %s", b.what), logf)
	defer stop()
	return dir, b.build(ctx, dir)
}

// reportProgress logs what every minute until stop is called, so a long
// build is not minutes of silence.
func reportProgress(what string, logf func(string, ...any)) (stop func()) {
	started := time.Now()
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Minute)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				logf("%s (%s so far)", what, time.Since(started).Round(time.Second))
			}
		}
	}()
	return func() { close(done) }
}

func (b cachedBuild) key(ctx context.Context, toolsDir string) (string, error) {
	h := sha256.New()
	for _, name := range b.keyFiles {
		data, err := os.ReadFile(filepath.Join(toolsDir, name))
		if err != nil {
			return "", fmt.Errorf("reading the pinned %s module: %w", b.module, err)
		}
		h.Write(data)
	}
	for _, pin := range b.pinned {
		h.Write([]byte(pin + "\n"))
	}
	goVersion, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("the Go toolchain is needed to build %s: %w", b.what, err)
	}
	h.Write(goVersion)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// CacheDir is where the project caches heavy builds, outside the repository.
func CacheDir() (string, error) {
	if dir := os.Getenv(EnvCacheDir); dir != "" {
		return dir, os.MkdirAll(dir, 0o755)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding a cache directory (set %s): %w", EnvCacheDir, err)
	}
	dir := filepath.Join(base, "terraform-provider-kratix")
	return dir, os.MkdirAll(dir, 0o755)
}

// RepoRoot finds the provider's source tree: the platform binaries, the
// corpus and the examples live there.
func RepoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if ok {
		root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
		if _, err := os.Stat(filepath.Join(root, "tools", "platform", "go.mod")); err == nil {
			return root, nil
		}
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" || strings.TrimSpace(string(out)) == os.DevNull {
		return "", errors.New("cannot find the terraform-provider-kratix source tree; run from inside it")
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

func checkBinaries(dir string) error {
	for _, name := range []string{binEtcd, binKubeAPIServer, binControllerManager} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("platform binary %s missing in %s: %w", name, dir, err)
		}
	}
	return nil
}

func buildBinaries(ctx context.Context, toolsDir, dir string) error {
	tmp := dir + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp+string(os.PathSeparator),
		"k8s.io/kubernetes/cmd/kube-apiserver",
		"k8s.io/kubernetes/cmd/kube-controller-manager",
		"./etcd")
	cmd.Dir = toolsDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the platform binaries in %s failed: %w\n%s", toolsDir, err, out)
	}
	_ = os.RemoveAll(dir)
	return os.Rename(tmp, dir)
}

// tryLockFile takes an exclusive advisory lock if it is free; ok is false
// when another process holds it.
func tryLockFile(path string) (unlock func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, true, nil
}

// lockFile takes an exclusive advisory lock, blocking until it is free.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
