// Package acctest is the acceptance-test harness: it starts the local
// platform (real etcd and kube-apiserver) and Kratix once per test package,
// finds or builds a Terraform CLI, and isolates Terraform from the user's own
// CLI configuration.
//
// KRATIX_PLATFORM_MODE picks what plays Kratix: "emulator" (the default
// here: package emulator, in-process) or "real" (Kratix's own controller
// manager built from the pinned module, with package podrunner running its
// pipeline pods). Only one real-mode platform runs on a machine at a time;
// others wait for it. The real Kratix is the one the Go module proxy serves
// (main of 2025-09) or, with KRATIX_SOURCE_DIR, a Kratix 2026 checkout;
// Env.Kratix says which. Tests that cannot pass against a real Kratix call
// SkipInRealMode, or SkipInRealModeWithoutKratix2026 when only Kratix
// before 2026 lacks what they need, with one of the listed reasons.
//
// Set TF_ACC=1 to run acceptance tests. To run them against an existing
// cluster instead of the local platform, set KRATIX_ACC_KUBECONFIG to its
// kubeconfig (the real Kratix controller must then be installed there; tests
// that need platform-only credentials skip).
package acctest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kratix-community/terraform-provider-kratix/internal/localkratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
	"github.com/kratix-community/terraform-provider-kratix/internal/storeserver"
)

// EnvExistingKubeconfig points the acceptance tests at an existing cluster.
const EnvExistingKubeconfig = "KRATIX_ACC_KUBECONFIG"

// Env describes the cluster the acceptance tests run against.
type Env struct {
	KubeconfigPath string
	Context        string
	Host           string
	CAData         []byte
	AdminToken     string
	LimitedToken   string
	LimitedUser    string
	// Existing is true when the tests run against a cluster the harness did
	// not start; platform-only credentials are then empty.
	Existing bool
	// Mode is what plays Kratix on the local platform.
	Mode   platform.Mode
	kratix Kratix
	config *rest.Config
	stores *storeserver.Servers
}

var current *Env

// Current is the environment TestMain set up, or nil without TF_ACC.
func Current() *Env { return current }

// Run is the body of an acceptance test package's TestMain.
func Run(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		return m.Run()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := setup(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "acceptance test setup failed: %v\n", err)
		return 1
	}
	defer stop()
	return m.Run()
}

func setup(ctx context.Context) (func(), error) {
	if err := isolateTerraform(); err != nil {
		return nil, err
	}
	clearKubeEnv()
	if path := os.Getenv(EnvExistingKubeconfig); path != "" {
		return useExisting(path)
	}
	return startLocal(ctx)
}

func startLocal(ctx context.Context) (func(), error) {
	mode, err := platform.ModeFromEnv(platform.ModeEmulator)
	if err != nil {
		return nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	p, err := platform.Start(startCtx, platform.Options{Logf: logf, Mode: mode})
	if err != nil {
		return nil, err
	}
	kratix, err := localkratix.Start(ctx, p, kratixLogf())
	if err != nil {
		_ = p.Stop()
		return nil, err
	}
	current = &Env{
		KubeconfigPath: p.KubeconfigPath, Context: platform.KubeconfigContext, Host: p.Host, CAData: p.CAData,
		AdminToken: p.AdminToken, LimitedToken: p.LimitedToken, LimitedUser: p.LimitedUser, config: withWebhookRetry(p.AdminConfig()),
		Mode: mode, stores: kratix.Stores,
	}
	if mode == platform.ModeReal {
		if current.kratix, err = detectKratix(current.config); err != nil {
			kratix.Stop()
			_ = p.Stop()
			return nil, err
		}
	}
	which := ""
	if p.Kratix != nil {
		which = " (Kratix from " + p.Kratix.ModuleDir + ")"
	}
	logf("Kratix mode: %s%s, %s; Git server %s, S3 server %s", mode, which, current.Kratix(), kratix.Stores.Git.URL(""), kratix.Stores.S3.Endpoint())
	return func() {
		kratix.Stop()
		if err := p.Stop(); err != nil {
			logf("stopping the platform: %v", err)
		}
	}, nil
}

// useExisting points the tests at an existing cluster. The store servers
// still run, on this machine's loopback, so that the tests' configurations
// are the same; a Kratix elsewhere cannot reach them.
func useExisting(path string) (func(), error) {
	loader := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loader, &clientcmd.ConfigOverrides{})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("reading %s=%s: %w", EnvExistingKubeconfig, path, err)
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, err
	}
	storeDir, err := os.MkdirTemp("", "kratix-acc-stores-")
	if err != nil {
		return nil, err
	}
	stores, err := storeserver.Start(storeDir, nil)
	if err != nil {
		_ = os.RemoveAll(storeDir)
		return nil, err
	}
	current = &Env{KubeconfigPath: path, Context: raw.CurrentContext, Host: cfg.Host, CAData: cfg.CAData, Existing: true, config: withWebhookRetry(cfg), stores: stores}
	return func() {
		_ = stores.Close()
		_ = os.RemoveAll(storeDir)
	}, nil
}

// clearKubeEnv removes the user's own connection settings so that every test
// states exactly how it configures the provider.
func clearKubeEnv() {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "KUBE_") || name == "KUBECONFIG" || strings.HasPrefix(name, "KUBERNETES_SERVICE_") {
			_ = os.Unsetenv(name)
		}
	}
}

// PreCheck skips without TF_ACC and fails when the harness did not start.
func PreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance tests run with TF_ACC=1")
	}
	if current == nil {
		t.Fatal("the acceptance harness did not start; call acctest.Run from TestMain")
	}
}

// SkipOnExisting skips tests that need credentials only the local platform has.
func SkipOnExisting(t *testing.T) {
	t.Helper()
	if current != nil && current.Existing {
		t.Skip("needs the local platform's static tokens")
	}
}

// RequiredProviders declares the provider by its Registry address, as every
// real configuration does; the harness serves it under that address.
const RequiredProviders = `
terraform {
  required_providers {
    kratix = {
      source = "kratix-community/kratix"
    }
  }
}
`

// ProviderConfig is the required_providers block and a provider block using
// the harness kubeconfig.
func (e *Env) ProviderConfig() string {
	return RequiredProviders + fmt.Sprintf("provider \"kratix\" {\n  config_path    = %q\n  config_context = %q\n}\n", e.KubeconfigPath, e.Context)
}

// RESTConfig is an admin configuration for test checks.
func (e *Env) RESTConfig() *rest.Config { return rest.CopyConfig(e.config) }

// Dynamic is an admin dynamic client for setting up and checking objects.
func (e *Env) Dynamic(t *testing.T) dynamic.Interface {
	t.Helper()
	client, err := dynamic.NewForConfig(e.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "acctest: "+format+"\n", args...)
}

// kratixLogf is quiet unless KRATIX_EMULATOR_LOG=1, to keep test output
// readable; it logs the emulator or the pod runner.
func kratixLogf() func(string, ...any) {
	if os.Getenv("KRATIX_EMULATOR_LOG") == "" {
		return nil
	}
	return func(format string, args ...any) { fmt.Fprintf(os.Stderr, "kratix: "+format+"\n", args...) }
}

// RepoFile is a path inside the source tree (examples, test data).
func RepoFile(parts ...string) string {
	root, err := platform.RepoRoot()
	if err != nil {
		panic(err)
	}
	return filepath.Join(append([]string{root}, parts...)...)
}
