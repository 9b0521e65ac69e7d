package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

// writeResults saves the raw results and a Markdown report, and prints the
// report.
func writeResults(s settings, t *tools, res *results) error {
	if err := writeJSON(filepath.Join(s.Out, "results.json"), res); err != nil {
		return err
	}
	md := report(s, t, res)
	fmt.Println(md)
	logf("results: %s, %s", filepath.Join(s.Out, "results.md"), filepath.Join(s.Out, "results.json"))
	return os.WriteFile(filepath.Join(s.Out, "results.md"), []byte(md), 0o644)
}

func report(s settings, t *tools, res *results) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmark results\n\n")
	fmt.Fprintf(&b, "- %s; this provider at %s; machine: %s\n", t.TerraformVersion, t.Commit, res.Machine)
	fmt.Fprintf(&b, "- N=%v, %d repetitions interleaved (%s), -parallelism=%d, %s\n",
		s.Ns, s.Reps, strings.Join(s.Contenders, ", "), s.Parallelism, kratixDescription(s))
	fmt.Fprintf(&b, "- %s\n", rttDescription(s))
	fmt.Fprintf(&b, "- started %s, took %s\n", res.Started.Format("2006-01-02 15:04 MST"), res.Finished.Sub(res.Started).Round(1e9))
	if res.Interrupted != "" {
		fmt.Fprintf(&b, "- INTERRUPTED: %s\n", res.Interrupted)
	}

	fmt.Fprintf(&b, "\n## Wall time (median seconds; ×%s, ×%s)\n\n", s.Floor, s.Anchor)
	b.WriteString("| N | contender | apply | plan (refresh) | destroy | apply→all configured | destroy→all gone | plan, TF_LOG_SDK=OFF |\n|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range s.Ns {
		for _, c := range s.Contenders {
			runs := runsOf(res, n, c)
			if len(runs) == 0 {
				continue
			}
			cell := func(get func(runResult) float64) string {
				v := median(values(runs, get))
				return fmt.Sprintf("%.2f %s", v, ratios(res, s, n, get, v))
			}
			configured, gone := "—", "—"
			if runs[0].ObjectsCreated {
				configured = fmt.Sprintf("%.2f", median(values(runs, func(r runResult) float64 { return r.Apply.Wall + r.Apply.Settle })))
				gone = fmt.Sprintf("%.2f", median(values(runs, func(r runResult) float64 { return r.Destroy.Wall + r.Destroy.Settle })))
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s | %s | %s |\n", n, c,
				cell(func(r runResult) float64 { return r.Apply.Wall }),
				cell(func(r runResult) float64 { return r.Plan.Wall }),
				cell(func(r runResult) float64 { return r.Destroy.Wall }), configured, gone,
				cell(func(r runResult) float64 { return r.PlanQuiet.Wall }))
		}
	}

	b.WriteString("\n## API requests sent by the provider, counted at the API server (median per phase: discovery+OpenAPI / reads / writes / watches)\n\n")
	b.WriteString("| N | contender | apply | plan (refresh) | plan reads per object | destroy |")
	if s.RTT > 0 {
		b.WriteString(" connections through the proxy (apply / plan / destroy) |\n|---:|---|---|---|---:|---|---|\n")
	} else {
		b.WriteString("\n|---:|---|---|---|---:|---|\n")
	}
	for _, n := range s.Ns {
		for _, c := range s.Contenders {
			runs := runsOf(res, n, c)
			if len(runs) == 0 {
				continue
			}
			perObject := median(values(runs, func(r runResult) float64 { return float64(r.Plan.Requests[classRead]) })) / float64(n)
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %.2f | %s |", n, c,
				requestCell(runs, func(r runResult) phaseResult { return r.Apply }),
				requestCell(runs, func(r runResult) phaseResult { return r.Plan }), perObject,
				requestCell(runs, func(r runResult) phaseResult { return r.Destroy }))
			if s.RTT > 0 {
				conns := func(get func(runResult) phaseResult) string {
					return fmt.Sprintf("%.0f", median(values(runs, func(r runResult) float64 { return float64(get(r).Connections) })))
				}
				fmt.Fprintf(&b, " %s / %s / %s |", conns(func(r runResult) phaseResult { return r.Apply }),
					conns(func(r runResult) phaseResult { return r.Plan }), conns(func(r runResult) phaseResult { return r.Destroy }))
			}
			b.WriteString("\n")
		}
	}

	b.WriteString("\n## Plan that changes every object (spec size small → large; kratix_resource_request checks each with a server-side dry-run), next to the refresh-only plan\n\n")
	b.WriteString("| N | contender | plan (refresh) s | plan (every object changed) s | requests (refresh) | requests (changed) |\n|---:|---|---:|---:|---|---|\n")
	for _, n := range s.Ns {
		for _, c := range s.Contenders {
			runs := runsOf(res, n, c)
			if len(runs) == 0 || runs[0].PlanChanged.ExitCode != 2 {
				continue // the template does not take the change
			}
			fmt.Fprintf(&b, "| %d | %s | %.2f | %.2f | %s | %s |\n", n, c,
				median(values(runs, func(r runResult) float64 { return r.Plan.Wall })),
				median(values(runs, func(r runResult) float64 { return r.PlanChanged.Wall })),
				requestCell(runs, func(r runResult) phaseResult { return r.Plan }),
				requestCell(runs, func(r runResult) phaseResult { return r.PlanChanged }))
		}
	}

	b.WriteString("\n## Plugin peak RSS (median MiB, largest terraform-provider-* process in the phase; processes started)\n\n")
	b.WriteString("| N | contender | apply | plan | destroy | terraform core peak (plan) | state file KiB |\n|---:|---|---:|---:|---:|---:|---:|\n")
	for _, n := range s.Ns {
		for _, c := range s.Contenders {
			runs := runsOf(res, n, c)
			if len(runs) == 0 {
				continue
			}
			rss := func(get func(runResult) phaseResult) string {
				if get(runs[0]).PluginStarts == 0 {
					return "—"
				}
				return fmt.Sprintf("%.0f (%d)", median(values(runs, func(r runResult) float64 { return float64(get(r).PluginRSSKiB) / 1024 })), get(runs[0]).PluginStarts)
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %.0f | %s |\n", n, c,
				rss(func(r runResult) phaseResult { return r.Apply }), rss(func(r runResult) phaseResult { return r.Plan }),
				rss(func(r runResult) phaseResult { return r.Destroy }),
				median(values(runs, func(r runResult) float64 { return float64(r.Plan.TerraformRSSKB) / 1024 })),
				stateCell(runs))
		}
	}

	if len(res.Latency) > 0 {
		fmt.Fprintf(&b, "\n## Workflow wait: %s → provider's Create returns (ms)\n\n", completingWrite(s))
		b.WriteString("| N | contender | requests | min | p50 | p90 | p99 | max |\n|---:|---|---:|---:|---:|---:|---:|---:|\n")
		var all []float64
		for _, l := range res.Latency {
			all = append(all, l.SamplesMs...)
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", l.N, l.Contender, countCell(len(l.SamplesMs), l.Unmatched), latencyCells(l.SamplesMs))
		}
		sort.Float64s(all)
		fmt.Fprintf(&b, "| all | %s | %d | %s |\n", res.Latency[0].Contender, len(all), latencyCells(all))
	}

	b.WriteString("\n## Request detail (median count per phase, largest N)\n\n")
	n := s.Ns[len(s.Ns)-1]
	for _, c := range s.Contenders {
		runs := runsOf(res, n, c)
		if len(runs) == 0 || sumRequests(runs[0].Apply)+sumRequests(runs[0].Plan) == 0 {
			continue // no API: nothing to detail
		}
		for _, ph := range []struct {
			name string
			get  func(runResult) phaseResult
		}{{"apply", func(r runResult) phaseResult { return r.Apply }}, {"plan", func(r runResult) phaseResult { return r.Plan }},
			{"plan TF_LOG_SDK=OFF", func(r runResult) phaseResult { return r.PlanQuiet }},
			{"plan, every object changed", func(r runResult) phaseResult { return r.PlanChanged }}, {"destroy", func(r runResult) phaseResult { return r.Destroy }}} {
			fmt.Fprintf(&b, "- %s N=%d %s: %s\n", c, n, ph.name, detailCell(runs, ph.get))
		}
		fmt.Fprintf(&b, "- %s user agent: %s\n", c, strings.Join(keys(runs[0].Plan.UserAgents), ", "))
	}
	return b.String()
}

func runsOf(res *results, n int, c string) []runResult {
	var out []runResult
	for _, r := range res.Runs {
		if r.N == n && r.Contender == c {
			out = append(out, r)
		}
	}
	return out
}

func values(runs []runResult, get func(runResult) float64) []float64 {
	out := make([]float64, 0, len(runs))
	for _, r := range runs {
		out = append(out, get(r))
	}
	return out
}

func ratios(res *results, s settings, n int, get func(runResult) float64, v float64) string {
	var parts []string
	for _, ref := range []string{s.Floor, s.Anchor} {
		runs := runsOf(res, n, ref)
		if len(runs) == 0 {
			continue
		}
		if d := median(values(runs, get)); d > 0 {
			parts = append(parts, fmt.Sprintf("%.2f×", v/d))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func requestCell(runs []runResult, get func(runResult) phaseResult) string {
	if get(runs[0]).PluginStarts == 0 && sumRequests(get(runs[0])) == 0 {
		return "—"
	}
	var parts []string
	for _, class := range []string{classDiscovery, classRead, classWrite, classWatch} {
		parts = append(parts, fmt.Sprintf("%.0f", median(values(runs, func(r runResult) float64 { return float64(get(r).Requests[class]) }))))
	}
	return strings.Join(parts, " / ")
}

func sumRequests(p phaseResult) int {
	total := 0
	for _, v := range p.Requests {
		total += v
	}
	return total
}

func detailCell(runs []runResult, get func(runResult) phaseResult) string {
	seen := map[string]bool{}
	for _, r := range runs {
		for k := range get(r).Detail {
			seen[k] = true
		}
	}
	var parts []string
	for _, k := range keys(seen) {
		parts = append(parts, fmt.Sprintf("%s ×%.0f", k, median(values(runs, func(r runResult) float64 { return float64(get(r).Detail[k]) }))))
	}
	return strings.Join(parts, "; ")
}

func countCell(n, unmatched int) string {
	if unmatched == 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (%d unmatched)", n, unmatched)
}

func latencyCells(samples []float64) string {
	if len(samples) == 0 {
		return "— | — | — | — | — | —"
	}
	return fmt.Sprintf("%.1f | %.1f | %.1f | %.1f | %.1f", samples[0], percentile(samples, 50), percentile(samples, 90),
		percentile(samples, 99), samples[len(samples)-1])
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	return percentile(s, 50)
}

// percentile of sorted samples, nearest rank.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	if p == 50 && len(sorted)%2 == 0 {
		return (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stateCell is the median state file size; runs saved before the harness
// recorded it show a dash.
func stateCell(runs []runResult) string {
	kib := median(values(runs, func(r runResult) float64 { return float64(r.StateBytes) / 1024 }))
	if kib == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", kib)
}

func kratixDescription(s settings) string {
	if s.Mode == platform.ModeReal {
		return "the real Kratix manager, pipeline pods run by the pod runner"
	}
	return fmt.Sprintf("the Kratix emulator, pipeline duration %s", s.PipelineDuration)
}

// rttDescription says how far the API server is from Terraform.
func rttDescription(s settings) string {
	if s.RTT == 0 {
		return "API server on loopback (no added round-trip time)"
	}
	rtt := time.Duration(s.RTT)
	return fmt.Sprintf("API server %s round trip away from Terraform (BENCH_RTT=%s): every connection of the contenders "+
		"goes through a delay line that delays every byte by %s each way (TLS and HTTP/2 pass through; TCP and TLS "+
		"handshakes pay their round trips); Kratix and the harness are not delayed; terraform_data and benchecho_object "+
		"make no API calls, so the RTT does not apply to them", rtt, rtt, rtt/2)
}

// completingWrite says where the latency is measured from: the emulator's
// write is seen as its response arrives, the real manager's by a watch.
func completingWrite(s settings) string {
	if s.Mode == platform.ModeReal {
		return "Kratix's completing write seen by a watch"
	}
	return "emulator's completing write"
}
