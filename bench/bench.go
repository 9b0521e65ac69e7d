package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// quietSDKLogs turns off the loggers of terraform-plugin-go, the framework
// and SDKv2 inside the plugin (the provider's own tflog logger stays on).
const quietSDKLogs = "TF_LOG_SDK=OFF"

// changeEverySpec makes a template that declares the variable bench_size
// plan a change to every object (Terraform ignores it elsewhere).
const changeEverySpec = "TF_VAR_bench_size=large"

// runResult is one contender at one N in one repetition.
type runResult struct {
	N         int         `json:"n"`
	Rep       int         `json:"rep"`
	Contender string      `json:"contender"`
	Apply     phaseResult `json:"apply"`
	Plan      phaseResult `json:"plan"`
	// PlanQuiet is the same plan with TF_LOG_SDK=OFF in the environment:
	// the plugin SDKs' loggers, which default to TRACE and encode every
	// line for Terraform to discard, are off.
	PlanQuiet phaseResult `json:"planSdkLogsOff"`
	// PlanChanged is a plan with TF_VAR_bench_size=large, which changes
	// the spec of every object in a template that declares bench_size
	// (exit code 2); kratix_resource_request then has the API server
	// check each changed request with a server-side dry-run.
	PlanChanged phaseResult `json:"planChanged"`
	Destroy     phaseResult `json:"destroy"`
	// StateBytes is the size of terraform.tfstate after apply: what
	// Terraform and the plugin decode and walk on every plan.
	StateBytes int64 `json:"stateBytes"`
	// ObjectsCreated says the contender wrote request objects (so apply
	// was followed by waiting for their workflows, outside the timing).
	ObjectsCreated bool `json:"objectsCreated"`
}

// latencyResult is the wait measurement of one instrumented apply.
type latencyResult struct {
	N         int       `json:"n"`
	Contender string    `json:"contender"`
	Unmatched int       `json:"unmatched"`
	SamplesMs []float64 `json:"samplesMs"` // sorted
}

// results is everything one run produced.
type results struct {
	Started     time.Time       `json:"started"`
	Finished    time.Time       `json:"finished"`
	Settings    settings        `json:"settings"`
	Tools       *tools          `json:"tools"`
	Machine     string          `json:"machine"`
	Runs        []runResult     `json:"runs"`
	Latency     []latencyResult `json:"latency"`
	Interrupted string          `json:"interrupted,omitempty"`
}

type bench struct {
	s     settings
	tools *tools
	env   *environment
	audit *auditReader
}

// templateData is what a contender template is rendered with.
type templateData struct {
	N          int
	Kubeconfig string
	Promise    string
	NamePrefix string
	Namespace  string
	APIVersion string
	Kind       string
	SpecHCL    string // the request's spec as an HCL (JSON-syntax) object
}

func (b *bench) runAll(ctx context.Context) (*results, error) {
	res := &results{Started: time.Now(), Settings: b.s, Tools: b.tools, Machine: machine()}
	b.audit = &auditReader{path: b.env.auditLog}
	err := b.loop(ctx, res)
	res.Finished = time.Now()
	if err != nil {
		res.Interrupted = err.Error()
	}
	return res, err
}

func (b *bench) loop(ctx context.Context, res *results) error {
	for _, n := range b.s.Ns {
		for rep := 1; rep <= b.s.Reps; rep++ {
			for _, c := range b.s.Contenders {
				r, err := b.runOne(ctx, c, n, rep)
				if err != nil {
					return fmt.Errorf("%s N=%d rep %d: %w", c, n, rep, err)
				}
				res.Runs = append(res.Runs, r)
				logf("%-24s N=%-4d rep %d: apply %.2fs  plan %.2fs  destroy %.2fs  plan requests %v  plugin peak %d MiB",
					c, n, rep, r.Apply.Wall, r.Plan.Wall, r.Destroy.Wall, r.Plan.Requests, r.Plan.PluginRSSKiB/1024)
			}
		}
		if slices.Contains(b.s.Contenders, b.s.LatencyOf) {
			l, err := b.latencyRun(ctx, b.s.LatencyOf, n)
			if err != nil {
				return fmt.Errorf("wait latency of %s at N=%d: %w", b.s.LatencyOf, n, err)
			}
			res.Latency = append(res.Latency, l)
			logf("wait latency N=%d: %d samples, median %.1f ms (%d unmatched)", n, len(l.SamplesMs), percentile(l.SamplesMs, 50), l.Unmatched)
		}
	}
	return nil
}

// workspace renders the contender's template into a fresh directory.
func (b *bench) workspace(contender string, n int, label string) (string, error) {
	dir := filepath.Join(b.s.Out, "work", "runs", fmt.Sprintf("n%d-%s-%s", n, label, contender))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmpl, err := template.ParseFiles(templatePath(b.s.Root, contender))
	if err != nil {
		return "", err
	}
	spec, err := json.Marshal(b.env.spec)
	if err != nil {
		return "", err
	}
	f, err := os.Create(filepath.Join(dir, "main.tf"))
	if err != nil {
		return "", err
	}
	err = tmpl.Execute(f, templateData{
		N: n, Kubeconfig: b.env.kubeconfig, Promise: "redis", NamePrefix: namePrefix, Namespace: benchNamespace,
		APIVersion: b.env.apiVersion, Kind: b.env.kind, SpecHCL: string(spec),
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return dir, err
}

func (b *bench) tfEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_LOG") || strings.HasPrefix(kv, "TF_CLI_CONFIG_FILE=") || strings.HasPrefix(kv, "KUBE") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_CLI_CONFIG_FILE="+b.tools.CLIConfig,
		"KUBE_CONFIG_PATH="+b.env.kubeconfig, "KUBECONFIG="+b.env.kubeconfig)
	return append(env, extra...)
}

// phase runs one terraform command and counts the provider's requests.
func (b *bench) phase(ctx context.Context, dir, name string, env []string, args ...string) (phaseResult, error) {
	if err := b.audit.skip(); err != nil {
		return phaseResult{}, err
	}
	conns := b.env.proxyConnections()
	from := time.Now()
	args = append(args, "-input=false", "-no-color", "-parallelism="+strconv.Itoa(b.s.Parallelism))
	logPath := filepath.Join(dir, name+".log")
	r, err := runTerraform(ctx, dir, env, logPath, args...)
	if err != nil {
		return r, err
	}
	to := time.Now()
	r.From, r.To = from, to
	r.Connections = b.env.proxyConnections() - conns
	// Watches are logged when their response starts; everything else when
	// it completes, which is before terraform has exited.
	if err := sleep(ctx, 300*time.Millisecond); err != nil {
		return r, err
	}
	if err := b.audit.providerRequests(from, to, &r); err != nil {
		return r, err
	}
	if !strings.HasPrefix(name, "plan") && r.ExitCode != 0 {
		return r, fmt.Errorf("terraform %s exited %d; end of %s:\n%s", name, r.ExitCode, logPath, tail(logPath, 30))
	}
	return r, nil
}

func (b *bench) runOne(ctx context.Context, contender string, n, rep int) (runResult, error) {
	r := runResult{N: n, Rep: rep, Contender: contender}
	dir, err := b.workspace(contender, n, "rep"+strconv.Itoa(rep))
	if err != nil {
		return r, err
	}
	env := b.tfEnv()
	if r.Apply, err = b.phase(ctx, dir, "apply", env, "apply", "-auto-approve"); err != nil {
		return r, err
	}
	if st, err := os.Stat(filepath.Join(dir, "terraform.tfstate")); err == nil {
		r.StateBytes = st.Size()
	}
	settled := time.Now()
	if r.ObjectsCreated, err = b.env.settleCreated(ctx, n); err != nil {
		return r, err
	}
	r.Apply.Settle = time.Since(settled).Seconds()
	if r.ObjectsCreated {
		if err := b.env.settleQuiet(ctx); err != nil {
			return r, err
		}
	}
	if err := sleep(ctx, time.Second); err != nil {
		return r, err
	}
	if r.Plan, err = b.phase(ctx, dir, "plan", env, "plan", "-detailed-exitcode"); err != nil {
		return r, err
	}
	if r.Plan.ExitCode != 0 {
		logf("WARNING: %s N=%d: plan of the unchanged configuration exited %d (2 means it found changes); see %s",
			contender, n, r.Plan.ExitCode, filepath.Join(dir, "plan.log"))
	}
	if err := sleep(ctx, time.Second); err != nil {
		return r, err
	}
	if r.PlanQuiet, err = b.phase(ctx, dir, "plan-sdk-logs-off", b.tfEnv(quietSDKLogs), "plan", "-detailed-exitcode"); err != nil {
		return r, err
	}
	if err := sleep(ctx, time.Second); err != nil {
		return r, err
	}
	if r.PlanChanged, err = b.phase(ctx, dir, "plan-changed", b.tfEnv(changeEverySpec), "plan", "-detailed-exitcode"); err != nil {
		return r, err
	}
	if r.PlanChanged.ExitCode == 1 {
		logf("WARNING: %s N=%d: the plan that changes every object failed; see %s", contender, n, filepath.Join(dir, "plan-changed.log"))
	}
	if err := sleep(ctx, time.Second); err != nil {
		return r, err
	}
	if r.Destroy, err = b.phase(ctx, dir, "destroy", env, "destroy", "-auto-approve"); err != nil {
		return r, err
	}
	settled = time.Now()
	if err := b.env.settleDeleted(ctx); err != nil {
		return r, err
	}
	r.Destroy.Settle = time.Since(settled).Seconds()
	return r, sleep(ctx, time.Second)
}

// latencyRun applies the contender once more with the provider's trace log
// on (not timed: logging costs), and matches the log with the moments
// Kratix completed each workflow.
func (b *bench) latencyRun(ctx context.Context, contender string, n int) (latencyResult, error) {
	l := latencyResult{N: n, Contender: contender}
	dir, err := b.workspace(contender, n, "latency")
	if err != nil {
		return l, err
	}
	logPath := filepath.Join(dir, "provider-trace.log")
	b.env.done.reset()
	traceEnv := b.tfEnv("TF_LOG_PROVIDER=TRACE", "TF_LOG_SDK_PROTO=OFF", "TF_LOG_PATH="+logPath)
	if _, err := b.phase(ctx, dir, "apply", traceEnv, "apply", "-auto-approve"); err != nil {
		return l, err
	}
	if _, err := b.env.settleCreated(ctx, n); err != nil {
		return l, err
	}
	if l.SamplesMs, l.Unmatched, err = waitLatencies(logPath, b.env.done.snapshot()); err != nil {
		return l, err
	}
	if _, err := b.phase(ctx, dir, "destroy", b.tfEnv(), "destroy", "-auto-approve"); err != nil {
		return l, err
	}
	return l, b.env.settleDeleted(ctx)
}

func machine() string {
	cpu, _ := os.ReadFile("/proc/cpuinfo")
	model, cores := "", 0
	for _, line := range strings.Split(string(cpu), "\n") {
		if strings.HasPrefix(line, "processor") {
			cores++
		}
		if v, ok := strings.CutPrefix(line, "model name"); ok && model == "" {
			model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	mem, _ := os.ReadFile("/proc/meminfo")
	memKiB := int64(0)
	for _, line := range strings.Split(string(mem), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			memKiB, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return fmt.Sprintf("%d cores (%s), %.1f GiB memory", cores, model, float64(memKiB)/(1<<20))
}
