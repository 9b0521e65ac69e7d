// Package localkratix starts what plays Kratix's controller on a local
// platform (package platform), by the platform's mode: the in-process
// emulator (package emulator), or, beside the real Kratix manager the
// platform already runs, the pod runner (package podrunner) standing in for
// the kubelet. Either way it also starts the platform's state stores
// (package storeserver): a Git server and an S3 server on loopback, which
// the real Kratix validates and writes to and the emulator never contacts.
// The acceptance harness and the kratix-platform command share it; the
// provider never imports it.
package localkratix

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/kratix-community/terraform-provider-kratix/internal/emulator"
	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
	"github.com/kratix-community/terraform-provider-kratix/internal/podrunner"
	"github.com/kratix-community/terraform-provider-kratix/internal/storeserver"
)

// Kratix is what Start started.
type Kratix struct {
	// Stores are the Git and S3 servers state stores can point at.
	Stores *storeserver.Servers
	stop   func()
}

// Stop stops the controller (emulator or pod runner) and the store servers.
func (k *Kratix) Stop() {
	k.stop()
	_ = k.Stores.Close()
}

// Start runs the store servers and the emulator or the pod runner until
// Stop is called, and returns once the controller watches the platform.
func Start(ctx context.Context, p *platform.Platform, logf func(string, ...any)) (*Kratix, error) {
	gitCert, err := p.LoopbackServingCert()
	if err != nil {
		return nil, err
	}
	stores, err := storeserver.Start(filepath.Join(p.WorkDir, "stores"), &gitCert)
	if err != nil {
		return nil, fmt.Errorf("starting the local Git and S3 servers: %w", err)
	}
	stop, err := startController(ctx, p, logf)
	if err != nil {
		_ = stores.Close()
		return nil, err
	}
	return &Kratix{Stores: stores, stop: stop}, nil
}

func startController(ctx context.Context, p *platform.Platform, logf func(string, ...any)) (stop func(), err error) {
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
