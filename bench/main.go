// Command bench measures kratix_resource_request against kubectl_manifest
// (gavinbunney/kubectl), Terraform's own floor (terraform_data), the
// plugin floor (benchecho_object, a framework resource without API) and the
// schema floor (benchschema_request, kratix_resource_request's schema without
// API) on the local platform: a real etcd and kube-apiserver on loopback plus
// the Kratix emulator (the default) or, with KRATIX_PLATFORM_MODE=real, the real Kratix
// manager and the pod runner that stands in for the kubelet, with one
// Promise (the corpus redis Promise) installed.
//
// Every contender is one Terraform configuration template in
// bench/templates/<name>.tf.tmpl that manages the same N request objects.
// For each N the contenders run interleaved (A B C A B C ...) and each run
// times apply, plan (refresh of an unchanged configuration) and destroy,
// counts the API requests the provider sent in each phase from the API
// server's audit log, and samples the plugin processes' peak RSS. A final
// instrumented apply of the waiting contender measures how long after
// Kratix wrote the final condition the provider returned.
//
// Run it with `make bench`; `bench report results.json` prints the report of
// an earlier run again. Settings (environment):
//
//	KRATIX_PLATFORM_MODE     emulator (default) or real
//	BENCH_N                  comma-separated N values (default 10,100,500)
//	BENCH_REPS               repetitions per contender and N (default 3)
//	BENCH_CONTENDERS         templates to run, in order (default kratix_resource_request,kubectl_manifest,terraform_data,benchecho_object,benchschema_request)
//	BENCH_FLOOR              contender the ratios are taken against (default terraform_data)
//	BENCH_ANCHOR             second reference for ratios (default kubectl_manifest)
//	BENCH_LATENCY            contender whose wait is measured (default kratix_resource_request; "none" skips)
//	BENCH_PIPELINE_DURATION  emulator pipeline duration (default 10ms)
//	BENCH_PARALLELISM        terraform -parallelism (default 10)
//	BENCH_RTT                round-trip time added to every connection from
//	                         Terraform to the API server (e.g. 50ms; default 0,
//	                         loopback): the contenders' kubeconfig points at a
//	                         TCP delay line (bench/rttproxy) that delays every
//	                         byte by BENCH_RTT/2 each way; Kratix and the
//	                         harness talk to the API server directly
//	BENCH_OUT                output directory (default bench/, in real mode
//	                         bench-real/, in the tools cache,
//	                         ${KRATIX_CACHE_DIR:-~/.cache/terraform-provider-kratix})
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

// settings are the knobs of one benchmark run.
type settings struct {
	Ns               []int
	Reps             int
	Contenders       []string
	Floor, Anchor    string
	LatencyOf        string
	PipelineDuration time.Duration
	Mode             platform.Mode
	Parallelism      int
	// RTT is the round-trip time added between Terraform's plugins and the
	// API server (0: loopback).
	RTT  jsonDuration `json:"rtt"`
	Out  string
	Root string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) == 3 && os.Args[1] == "report" {
		return rerender(os.Args[2])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := loadSettings()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.Out, "work")); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.Out, "work"), 0o755); err != nil {
		return err
	}
	logf("settings: mode=%s N=%v reps=%d contenders=%v pipeline duration=%s parallelism=%d rtt=%s out=%s",
		s.Mode, s.Ns, s.Reps, s.Contenders, s.PipelineDuration, s.Parallelism, time.Duration(s.RTT), s.Out)

	tools, err := prepareTools(ctx, s)
	if err != nil {
		return err
	}
	env, err := startEnvironment(ctx, s)
	if err != nil {
		return err
	}
	defer env.stop()

	b := &bench{s: s, tools: tools, env: env}
	res, err := b.runAll(ctx)
	if res != nil {
		if werr := writeResults(s, tools, res); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

func loadSettings() (settings, error) {
	root, err := repoRoot()
	if err != nil {
		return settings{}, err
	}
	s := settings{
		Reps:             envInt("BENCH_REPS", 3),
		Contenders:       envList("BENCH_CONTENDERS", "kratix_resource_request,kubectl_manifest,terraform_data,benchecho_object,benchschema_request"),
		Floor:            envString("BENCH_FLOOR", "terraform_data"),
		Anchor:           envString("BENCH_ANCHOR", "kubectl_manifest"),
		LatencyOf:        envString("BENCH_LATENCY", "kratix_resource_request"),
		Parallelism:      envInt("BENCH_PARALLELISM", 10),
		Out:              os.Getenv("BENCH_OUT"),
		Root:             root,
		PipelineDuration: 10 * time.Millisecond,
	}
	if s.Mode, err = platform.ModeFromEnv(platform.ModeEmulator); err != nil {
		return s, err
	}
	if v := os.Getenv("BENCH_PIPELINE_DURATION"); v != "" {
		if s.PipelineDuration, err = time.ParseDuration(v); err != nil {
			return s, fmt.Errorf("BENCH_PIPELINE_DURATION: %w", err)
		}
	}
	for _, n := range envList("BENCH_N", "10,100,500") {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 {
			return s, fmt.Errorf("BENCH_N: %q is not a positive integer", n)
		}
		s.Ns = append(s.Ns, v)
	}
	if v := os.Getenv("BENCH_RTT"); v != "" && v != "0" {
		rtt, err := time.ParseDuration(v)
		if err != nil || rtt < 0 {
			return s, fmt.Errorf("BENCH_RTT: %q is not a duration such as 50ms", v)
		}
		s.RTT = jsonDuration(rtt)
	}
	if s.Reps < 1 {
		return s, fmt.Errorf("BENCH_REPS must be at least 1")
	}
	for _, c := range s.Contenders {
		if _, err := os.Stat(templatePath(root, c)); err != nil {
			return s, fmt.Errorf("contender %q has no template: %w", c, err)
		}
	}
	if s.Out == "" {
		cache, err := platform.CacheDir()
		if err != nil {
			return s, err
		}
		s.Out = filepath.Join(cache, "bench")
		if s.Mode == platform.ModeReal {
			s.Out += "-real"
		}
	}
	if s.Out, err = filepath.Abs(s.Out); err != nil {
		return s, err
	}
	return s, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "bench", "templates")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("run bench from inside the terraform-provider-kratix source tree (no bench/templates above %s)", dir)
		}
	}
}

func templatePath(root, contender string) string {
	return filepath.Join(root, "bench", "templates", contender+".tf.tmpl")
}

func envString(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	v, err := strconv.Atoi(envString(name, strconv.Itoa(def)))
	if err != nil {
		return def
	}
	return v
}

func envList(name, def string) []string {
	var out []string
	for _, f := range strings.Split(envString(name, def), ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// rerender prints the Markdown report of a saved results.json.
func rerender(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var res results
	if err := json.Unmarshal(data, &res); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Println(report(res.Settings, res.Tools, &res))
	return nil
}

// jsonDuration is a time.Duration saved as text ("50ms") in results.json; a
// missing field (results saved before it existed) reads as 0.
type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *jsonDuration) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err != nil {
		var ns int64
		if err := json.Unmarshal(data, &ns); err != nil {
			return err
		}
		*d = jsonDuration(ns)
		return nil
	}
	v, err := time.ParseDuration(text)
	*d = jsonDuration(v)
	return err
}
