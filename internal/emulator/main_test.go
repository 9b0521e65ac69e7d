package emulator

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

// testConfig is the admin configuration of the platform the integration
// tests run against; nil without TF_ACC.
var testConfig *rest.Config

// TestMain starts the real platform and the emulator once when TF_ACC is
// set. Unit tests run either way; integration tests skip without it.
func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC") == "" {
		os.Exit(m.Run())
	}
	os.Exit(runWithPlatform(m))
}

func runWithPlatform(m *testing.M) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startCtx, cancelStart := context.WithTimeout(ctx, 20*time.Minute)
	defer cancelStart()
	p, err := platform.Start(startCtx, platform.Options{Logf: stderrf("platform")})
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the platform: %v\n", err)
		return 1
	}
	defer func() {
		if err := p.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the platform: %v\n", err)
		}
	}()
	var logf func(string, ...any)
	if os.Getenv("KRATIX_EMULATOR_LOG") != "" {
		logf = stderrf("emulator")
	}
	emu, err := New(p.AdminConfig(), Options{Logf: logf})
	if err != nil {
		fmt.Fprintf(os.Stderr, "creating the emulator: %v\n", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- emu.Run(ctx) }()
	select {
	case <-emu.Ready():
	case err := <-done:
		fmt.Fprintf(os.Stderr, "the emulator stopped before it was ready: %v\n", err)
		return 1
	case <-time.After(time.Minute):
		fmt.Fprintln(os.Stderr, "the emulator did not sync within a minute")
		return 1
	}
	testConfig = p.AdminConfig()
	code := m.Run()
	cancel()
	<-done
	return code
}

func stderrf(prefix string) func(string, ...any) {
	return func(format string, args ...any) { fmt.Fprintf(os.Stderr, prefix+": "+format+"\n", args...) }
}
