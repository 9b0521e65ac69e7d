// Package localkratix starts what plays Kratix's controller on a local
// platform (package platform), by the platform's mode: the in-process
// emulator (package emulator), or, beside the real Kratix manager the
// platform already runs, the pod runner (package podrunner) standing in for
// the kubelet. The acceptance harness and the kratix-platform command share
// it; the provider never imports it.
package localkratix

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/kratix-community/terraform-provider-kratix/internal/emulator"
	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
	"github.com/kratix-community/terraform-provider-kratix/internal/podrunner"
)

// Start runs the emulator or the pod runner until stop is called, and
// returns once it watches the platform.
func Start(ctx context.Context, p *platform.Platform, logf func(string, ...any)) (stop func(), err error) {
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var ready <-chan struct{}
	var run func(context.Context) error
	switch p.Mode {
	case platform.ModeReal:
		r, err := podrunner.New(podrunner.Options{
			Config: p.AdminConfig(), PipelineAdapter: p.Kratix.PipelineAdapter, AdapterImage: platform.PipelineAdapterImage,
			WorkDir: filepath.Join(p.WorkDir, "podrunner"), Logf: logf,
		})
		if err != nil {
			cancel()
			return nil, err
		}
		ready, run = r.Ready(), r.Run
	default:
		emu, err := emulator.New(p.AdminConfig(), emulator.Options{Logf: logf})
		if err != nil {
			cancel()
			return nil, err
		}
		ready, run = emu.Ready(), emu.Run
	}
	go func() {
		defer close(done)
		_ = run(runCtx)
	}()
	stop = func() {
		cancel()
		<-done
	}
	select {
	case <-ready:
		return stop, nil
	case <-time.After(time.Minute):
		stop()
		return nil, fmt.Errorf("the Kratix %s did not sync with the platform within a minute", p.Mode)
	}
}
