// Command kratix-platform runs the local Kratix platform for people: a real
// etcd and kube-apiserver (plus kube-controller-manager) on loopback, and
// Kratix: by default the real Kratix controller manager (built from the Go
// module proxy) with a pod runner for its pipelines; with
// KRATIX_PLATFORM_MODE=emulator the project's Kratix emulator instead. Beside
// it run a Git server and an S3 server on loopback for state stores to
// point at; `up` prints their addresses and credentials.
//
//	kratix-platform up     start it in the background and print the kubeconfig
//	kratix-platform down   stop it
//	kratix-platform serve  run it in the foreground until interrupted
//	kratix-platform stores print the state stores' addresses and credentials
//	                       as shell variables (KRATIX_GIT_URL, ...)
//	kratix-platform build  build (or find) the binaries the mode runs into the
//	                       cache, without starting anything
//
// State lives in --dir (default .platform in the source tree).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kratix-community/terraform-provider-kratix/internal/localkratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
	"github.com/kratix-community/terraform-provider-kratix/internal/storeserver"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	dir := fs.String("dir", defaultDir(), "directory for the platform's state, logs and kubeconfig")
	_ = fs.Parse(os.Args[2:])
	// Absolute from here on: `up` hands the directory to a detached `serve`,
	// and the servers run processes in directories of their own.
	stateDir, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kratix-platform:", err)
		os.Exit(1)
	}
	switch os.Args[1] {
	case "up":
		err = up(stateDir)
	case "down":
		err = down(stateDir)
	case "serve":
		err = serve(stateDir)
	case "stores":
		err = printStoreVariables(stateDir)
	case "build":
		err = build()
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kratix-platform:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kratix-platform up|down|serve|stores|build [--dir DIR]")
	os.Exit(2)
}

func defaultDir() string {
	if root, err := platform.RepoRoot(); err == nil {
		return filepath.Join(root, ".platform")
	}
	return ".platform"
}

// build fills the cache with the binaries a platform of the mode runs, so
// that later starts take seconds.
func build() error {
	mode, err := platform.ModeFromEnv(platform.ModeReal)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	binDir, kratixBins, err := platform.EnsureModeBinaries(ctx, mode, "", logf)
	if err != nil {
		return err
	}
	logf("%s mode: platform binaries in %s", mode, binDir)
	if kratixBins != nil {
		logf("%s mode: Kratix binaries %s and %s", mode, kratixBins.Manager, kratixBins.PipelineAdapter)
	}
	return nil
}

// up starts `serve` detached from this terminal and waits until it is ready.
func up(dir string) error {
	if pid, ok := runningPid(dir); ok {
		fmt.Printf("The platform is already running (pid %d).\n", pid)
		printAccess(dir)
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_ = os.Remove(readyFile(dir))
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(dir, "platform.log"))
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	cmd := exec.Command(self, "serve", "--dir", dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	fmt.Println("Starting the local Kratix platform. The first run builds kube-apiserver and etcd (about 5 minutes on 2 cores) " +
		"and, in real mode, Kratix beside them (about 15 minutes in all); its progress follows.")
	if err := waitForReady(dir, cmd.Process.Pid); err != nil {
		return err
	}
	printAccess(dir)
	return nil
}

// waitForReady waits for the platform to be ready, echoing its log as it
// grows: a cold start builds for many minutes and says so there.
func waitForReady(dir string, pid int) error {
	logPath := filepath.Join(dir, "platform.log")
	echo := &logEcho{path: logPath}
	defer echo.flush()
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		echo.flush()
		if _, err := os.Stat(readyFile(dir)); err == nil {
			return nil
		}
		if syscall.Kill(pid, 0) != nil {
			return fmt.Errorf("the platform exited while starting; its log is %s", logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("the platform did not become ready within 30 minutes")
}

// logEcho prints the complete lines added to a file since the last flush.
type logEcho struct {
	path   string
	offset int64
}

func (e *logEcho) flush() {
	data, err := os.ReadFile(e.path)
	if err != nil || int64(len(data)) <= e.offset {
		return
	}
	added := data[e.offset:]
	end := bytes.LastIndexByte(added, '\n')
	if end < 0 {
		return
	}
	fmt.Printf("%s", indentLines(string(added[:end+1])))
	e.offset += int64(end + 1)
}

func indentLines(text string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(text, "\n"), "\n", "\n  ") + "\n"
}

func printAccess(dir string) {
	kubeconfig := filepath.Join(dir, "kubeconfig")
	fmt.Printf(`
The local Kratix platform is running.
  kubeconfig: %[1]s
  try:        kubectl --kubeconfig %[1]s get promises
  provider:   export KUBE_CONFIG_PATH=%[1]s
  logs:       %[2]s
  stop:       make platform-down   (or: go run ./internal/cmd/kratix-platform down)
`, kubeconfig, dir)
	stores, err := readStoreAccess(dir)
	if err != nil {
		return
	}
	fmt.Printf(`
State stores on this machine (plain HTTP; Kratix writes what it schedules there):
  Git (GitStateStore, auth_method basicAuth):
    url:      %s   (any path ending in .git is a repository, created on first use with branch main)
    username: %s
    password: %s
  S3 (BucketStateStore, auth_method accessKey, insecure = true):
    endpoint:          %s   (any bucket_name; buckets are created on first use)
    access key ID:     %s
    secret access key: %s
`, stores.GitURL, stores.GitUsername, stores.GitPassword, stores.S3Endpoint, stores.S3AccessKeyID, stores.S3SecretAccessKey)
}

// down stops a platform started by up.
func down(dir string) error {
	pid, ok := runningPid(dir)
	if !ok {
		fmt.Println("The platform is not running.")
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return err
	}
	for range 300 {
		if !alive(pid) {
			fmt.Println("The platform has stopped.")
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the platform (pid %d) did not stop within 30s", pid)
}

// alive reports whether a process with this pid still exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// serve runs the platform and Kratix (real or emulated) until SIGINT or SIGTERM.
func serve(dir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	workDir := filepath.Join(dir, "run")
	_ = os.RemoveAll(workDir) // each start is a fresh, empty platform
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return err
	}
	mode, err := platform.ModeFromEnv(platform.ModeReal)
	if err != nil {
		return err
	}
	logf("Kratix mode: %s (set %s=%s or %s to choose)", mode, platform.EnvMode, platform.ModeReal, platform.ModeEmulator)
	p, err := platform.Start(ctx, platform.Options{WorkDir: workDir, Logf: logf, Mode: mode})
	if err != nil {
		return err
	}
	defer func() { _ = p.Stop() }()
	kratix, err := localkratix.Start(ctx, p, logf)
	if err != nil {
		return err
	}
	defer kratix.Stop()
	if err := publish(dir, p, kratix.Stores); err != nil {
		return err
	}
	logf("state stores: Git %s, S3 %s (credentials in %s)", kratix.Stores.Git.URL(""), kratix.Stores.S3.Endpoint(), storesFile(dir))
	defer func() { _ = os.Remove(filepath.Join(dir, "serve.pid")) }()
	<-ctx.Done()
	logf("stopping")
	return nil
}

// publish makes the platform findable: kubeconfig, store servers, pid,
// then the ready mark.
func publish(dir string, p *platform.Platform, stores *storeserver.Servers) error {
	data, err := os.ReadFile(p.KubeconfigPath)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), data, 0o600); err != nil {
		return err
	}
	access, err := json.Marshal(storeAccess{
		GitURL: stores.Git.URL("platform/state.git"), GitUsername: stores.Git.Username(), GitPassword: stores.Git.Password(),
		S3Endpoint: stores.S3.Endpoint(), S3AccessKeyID: stores.S3.AccessKeyID(), S3SecretAccessKey: stores.S3.SecretAccessKey(),
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(storesFile(dir), access, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "serve.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	return os.WriteFile(readyFile(dir), []byte(time.Now().Format(time.RFC3339)), 0o644)
}

func readyFile(dir string) string { return filepath.Join(dir, "ready") }

func storesFile(dir string) string { return filepath.Join(dir, "stores.json") }

// printStoreVariables prints the running platform's store access as shell
// assignments, for scripts such as `make demo`.
func printStoreVariables(dir string) error {
	if _, ok := runningPid(dir); !ok {
		return errors.New("the platform is not running; start it with make platform")
	}
	s, err := readStoreAccess(dir)
	if err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{"KRATIX_GIT_URL", s.GitURL}, {"KRATIX_GIT_USERNAME", s.GitUsername}, {"KRATIX_GIT_PASSWORD", s.GitPassword},
		{"KRATIX_S3_ENDPOINT", s.S3Endpoint}, {"KRATIX_S3_ACCESS_KEY_ID", s.S3AccessKeyID}, {"KRATIX_S3_SECRET_ACCESS_KEY", s.S3SecretAccessKey},
	} {
		// The values are URLs, host:port pairs and hex: nothing to quote.
		fmt.Printf("%s=%s\n", kv[0], kv[1])
	}
	return nil
}

func readStoreAccess(dir string) (storeAccess, error) {
	var s storeAccess
	data, err := os.ReadFile(storesFile(dir))
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(data, &s)
}

// storeAccess is how to reach the platform's Git and S3 servers; serve
// writes it for up and stores to print.
type storeAccess struct {
	GitURL            string `json:"gitURL"`
	GitUsername       string `json:"gitUsername"`
	GitPassword       string `json:"gitPassword"`
	S3Endpoint        string `json:"s3Endpoint"`
	S3AccessKeyID     string `json:"s3AccessKeyID"`
	S3SecretAccessKey string `json:"s3SecretAccessKey"`
}

func runningPid(dir string) (int, bool) {
	data, err := os.ReadFile(filepath.Join(dir, "serve.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || syscall.Kill(pid, 0) != nil {
		return 0, false
	}
	return pid, true
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}
