package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request classes, counted per phase from the audit log.
const (
	classDiscovery = "discovery" // /api, /apis, /openapi, /version: everything that is not an object
	classRead      = "read"      // get, list
	classWrite     = "write"     // create, update, patch (apply), delete, deletecollection
	classWatch     = "watch"
)

// phaseResult is one timed terraform command.
type phaseResult struct {
	From     time.Time      `json:"from"`
	To       time.Time      `json:"to"`
	Wall     float64        `json:"wallSeconds"`
	ExitCode int            `json:"exitCode"`
	Requests map[string]int `json:"requests"` // by class
	// Detail counts requests by "verb resource[/subresource]" or the path of
	// a non-resource request, for reading what a provider does.
	Detail     map[string]int `json:"detail"`
	UserAgents map[string]int `json:"userAgents"`
	// PluginRSSKiB is the largest VmHWM of any terraform-provider-* process
	// the command started; 0 when none ran.
	PluginRSSKiB   int64 `json:"pluginPeakRSSKiB"`
	PluginStarts   int   `json:"pluginProcesses"`
	TerraformRSSKB int64 `json:"terraformPeakRSSKiB"`
	// Connections is how many TCP connections the command opened through
	// the delaying proxy (BENCH_RTT only): each costs the TCP and TLS
	// handshakes' round trips.
	Connections int64 `json:"proxyConnections,omitempty"`
	// Settle is how long after the command the objects took to reach the
	// awaited state (all configured after apply; all gone after destroy).
	Settle float64 `json:"settleSeconds"`
}

// runTerraform runs one terraform command in dir and measures it.
func runTerraform(ctx context.Context, dir string, env []string, logPath string, args ...string) (phaseResult, error) {
	var res phaseResult
	logFile, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer func() { _ = logFile.Close() }()
	cmd := exec.CommandContext(ctx, "terraform", args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	sampler := newRSSSampler(cmd.Process.Pid)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sampler.loop(stop)
	}()
	err = cmd.Wait()
	res.Wall = time.Since(start).Seconds()
	close(stop)
	wg.Wait()
	res.PluginRSSKiB, res.PluginStarts, res.TerraformRSSKB = sampler.result()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	case err != nil:
		return res, err
	}
	return res, nil
}

// rssSampler polls the terraform process and its children for their peak
// resident set (VmHWM, which the kernel keeps as a high-water mark, so a
// sample taken shortly before exit sees the peak).
type rssSampler struct {
	root    int
	mu      sync.Mutex
	plugins map[int]int64
	core    int64
}

func newRSSSampler(pid int) *rssSampler { return &rssSampler{root: pid, plugins: map[int]int64{}} }

func (s *rssSampler) loop(stop <-chan struct{}) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

func (s *rssSampler) sample() {
	hwm := vmHWM(s.root)
	var found []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", s.root))
	for _, t := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", s.root, t.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				found = append(found, pid)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.core = max(s.core, hwm)
	for _, pid := range found {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || !strings.HasPrefix(string(comm), "terraform-prov") {
			continue
		}
		s.plugins[pid] = max(s.plugins[pid], vmHWM(pid))
	}
}

func (s *rssSampler) result() (peak int64, processes int, core int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.plugins {
		peak = max(peak, v)
	}
	return peak, len(s.plugins), s.core
}

func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				v, _ := strconv.ParseInt(fields[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// auditEvent is the part of an audit.k8s.io/v1 Event the benchmark reads.
type auditEvent struct {
	AuditID    string `json:"auditID"`
	Stage      string `json:"stage"`
	RequestURI string `json:"requestURI"`
	Verb       string `json:"verb"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	UserAgent string `json:"userAgent"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	RequestReceived time.Time `json:"requestReceivedTimestamp"`
}

// auditReader reads the audit log from where it last stopped.
type auditReader struct {
	path   string
	offset int64
}

// skip moves to the current end of the log.
func (a *auditReader) skip() error {
	st, err := os.Stat(a.path)
	if err != nil {
		return err
	}
	a.offset = st.Size()
	return nil
}

// providerRequests reads the events logged since the last call and counts
// the requests the provider (the admin user with a user agent that is not
// the harness's or the emulator's) sent between from and to.
func (a *auditReader) providerRequests(from, to time.Time, res *phaseResult) error {
	f, err := os.Open(a.path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if st, err := f.Stat(); err == nil && st.Size() < a.offset {
		return fmt.Errorf("the audit log %s shrank (rotated?) during the phase; its counts would be wrong", a.path)
	}
	if _, err := f.Seek(a.offset, io.SeekStart); err != nil {
		return err
	}
	res.Requests = map[string]int{classDiscovery: 0, classRead: 0, classWrite: 0, classWatch: 0}
	res.Detail, res.UserAgents = map[string]int{}, map[string]int{}
	seen := map[string]bool{}
	r := bufio.NewReaderSize(f, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break // a partial last line is read again next time
		}
		if err != nil {
			return err
		}
		a.offset += int64(len(line))
		var ev auditEvent
		if json.Unmarshal(bytes.TrimSpace(line), &ev) != nil || seen[ev.AuditID] {
			continue
		}
		if ev.User.Username != adminUser || strings.HasPrefix(ev.UserAgent, "kratix-bench/") ||
			ev.RequestReceived.Before(from) || ev.RequestReceived.After(to) {
			continue
		}
		seen[ev.AuditID] = true
		class, detail := classify(ev)
		res.Requests[class]++
		res.Detail[detail]++
		res.UserAgents[ev.UserAgent]++
	}
	return nil
}

func classify(ev auditEvent) (class, detail string) {
	if ev.ObjectRef == nil {
		path := ev.RequestURI
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		return classDiscovery, ev.Verb + " " + path
	}
	res := ev.ObjectRef.Resource
	if ev.ObjectRef.Subresource != "" {
		res += "/" + ev.ObjectRef.Subresource
	}
	detail = ev.Verb + " " + res
	switch ev.Verb {
	case "watch":
		return classWatch, detail
	case "get", "list":
		return classRead, detail
	}
	return classWrite, detail
}

// waitLatencies matches the provider's log with Kratix's writes: for
// every request, the time from Kratix's write that completed the
// workflow to the provider's return from Create ("Called provider defined
// Resource Create", logged by the framework when Create returns), joined
// through the tf_req_id of the provider's "applied resource request" line.
func waitLatencies(logPath string, done map[string]time.Time) ([]float64, int, error) {
	f, err := os.Open(logPath)
	if err != nil {
		return nil, 0, err
	}
	defer func() { _ = f.Close() }()
	names := map[string]string{}       // tf_req_id -> object name
	returned := map[string]time.Time{} // tf_req_id -> return time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		applied := strings.Contains(line, "applied resource request")
		called := strings.Contains(line, "Called provider defined Resource Create")
		if !applied && !called {
			continue
		}
		req := logField(line, "tf_req_id")
		if req == "" {
			continue
		}
		if applied {
			id := logField(line, "id")
			names[req] = id[strings.LastIndexByte(id, '/')+1:]
			continue
		}
		if at, ok := logTime(line); ok {
			returned[req] = at
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, err
	}
	var out []float64
	unmatched := 0
	for req, name := range names {
		ret, ok1 := returned[req]
		set, ok2 := done[name]
		if !ok1 || !ok2 {
			unmatched++
			continue
		}
		out = append(out, ret.Sub(set).Seconds()*1000)
	}
	sort.Float64s(out)
	return out, unmatched, nil
}

// logField reads key=value from a Terraform log line (values may be quoted).
func logField(line, key string) string {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		return ""
	}
	v := line[i+len(key)+2:]
	if strings.HasPrefix(v, `"`) {
		if s, err := strconv.QuotedPrefix(v); err == nil {
			u, _ := strconv.Unquote(s)
			return u
		}
	}
	if j := strings.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	return v
}

// logTime takes the plugin's own timestamp (timestamp=..., which go-plugin
// carries over from the provider's JSON log), falling back to Terraform's.
func logTime(line string) (time.Time, bool) {
	const layout = "2006-01-02T15:04:05.000Z0700"
	if v := logField(line, "timestamp"); v != "" {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, true
		}
	}
	if i := strings.IndexByte(line, ' '); i > 0 {
		if t, err := time.Parse(layout, line[:i]); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// tail returns the end of a log for error messages.
func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
