package platform

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is one control-plane binary the platform runs. A process with
// a restart policy is started again when it exits, as a kubelet restarts a
// crashed container; done is closed only once it has exited for good.
type process struct {
	name, bin  string
	args, env  []string
	log        string
	restart    *restartPolicy
	onRestart  func()
	done       chan struct{}
	stopCalled chan struct{}

	mu       sync.Mutex
	cmd      *exec.Cmd
	err      error
	stopping bool
	restarts int
}

// restartPolicy is how long a supervised process waits before it is
// started again: first, doubling up to max (a kubelet's CrashLoopBackOff
// starts at 10 s; the platform is in more of a hurry), and how many times
// (limit): a kubelet never gives up, but a process that exits again and
// again has a reason the tests should report (Healthy) rather than wait on.
type restartPolicy struct {
	first, max time.Duration
	limit      int
}

// managerRestarts restarts the Kratix manager: it exits when one of its
// controllers' caches does not sync in time (seen for a request kind whose
// CRD was deleted while its controller started, on a loaded machine), and
// in a cluster its Deployment's pod is restarted.
var managerRestarts = &restartPolicy{first: time.Second, max: 30 * time.Second, limit: 5}

// startProcess runs bin with args, logging to <logDir>/<name>.log. The child
// gets SIGKILL when its parent dies (Pdeathsig), so a test binary killed by
// a timeout or ^C does not leave an API server behind; the run registry below
// covers the cases Pdeathsig cannot (for example a detached platform).
func startProcess(name, bin string, args, env []string, logDir string) (*process, error) {
	return startSupervised(name, bin, args, env, logDir, nil, nil)
}

// startSupervised is startProcess with a restart policy (nil: none);
// onRestart is called after each restart, with the new process running.
func startSupervised(name, bin string, args, env []string, logDir string, restart *restartPolicy, onRestart func()) (*process, error) {
	p := &process{name: name, bin: bin, args: args, env: env, log: filepath.Join(logDir, name+".log"),
		restart: restart, onRestart: onRestart, done: make(chan struct{}), stopCalled: make(chan struct{})}
	if err := p.launch(os.O_CREATE | os.O_TRUNC | os.O_WRONLY); err != nil {
		return nil, err
	}
	return p, nil
}

// launch starts one run of the process and a goroutine that waits for it.
func (p *process) launch(logFlags int) error {
	logFile, err := os.OpenFile(p.log, logFlags, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	p.mu.Lock()
	p.cmd = cmd
	stopping := p.stopping
	p.mu.Unlock()
	if stopping { // stop came while this run was being started
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	go func() {
		err := cmd.Wait()
		_ = logFile.Close()
		p.exitedOnce(err)
	}()
	return nil
}

// exitedOnce decides what follows one exit: the end, or a restart.
func (p *process) exitedOnce(err error) {
	p.mu.Lock()
	if p.stopping || p.restart == nil || p.restarts >= p.restart.limit {
		p.err = err
		p.mu.Unlock()
		close(p.done)
		return
	}
	p.restarts++
	n := p.restarts
	p.mu.Unlock()
	delay := p.restart.first << min(n-1, 16)
	if delay > p.restart.max {
		delay = p.restart.max
	}
	p.note(fmt.Sprintf("%s exited (%v); starting it again in %s (restart %d), as a kubelet would", p.name, err, delay, n))
	select {
	case <-p.stopCalled:
		p.finish(err)
		return
	case <-time.After(delay):
	}
	if lerr := p.launch(os.O_APPEND | os.O_WRONLY); lerr != nil {
		p.finish(lerr)
		return
	}
	if p.onRestart != nil {
		p.onRestart()
	}
}

func (p *process) finish(err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
	close(p.done)
}

// note appends a line of the platform's own to the process log.
func (p *process) note(line string) {
	if f, err := os.OpenFile(p.log, os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
		_, _ = fmt.Fprintf(f, "== platform: %s\n", line)
		_ = f.Close()
	}
}

// pid is the pid of the current run.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// exited reports an early exit with the tail of the process log, which is
// where the reason (a bad flag, a port in use) is. A supervised process
// that is being restarted has not exited.
func (p *process) exited() error {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return fmt.Errorf("%s exited early (%v); last log lines from %s:\n%s", p.name, p.err, p.log, tail(p.log, 20))
	default:
		return nil
	}
}

// stop asks politely, then insists; a supervised process is not started
// again.
func (p *process) stop(grace time.Duration) {
	p.mu.Lock()
	if !p.stopping {
		p.stopping = true
		close(p.stopCalled)
	}
	cmd := p.cmd
	p.mu.Unlock()
	select {
	case <-p.done:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.mu.Lock()
		cmd = p.cmd // a restart may have started another run meanwhile
		p.mu.Unlock()
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func tail(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// runRecord is what the registry remembers about one running platform.
type runRecord struct {
	Owner   int    `json:"owner"`
	Pids    []int  `json:"pids"`
	WorkDir string `json:"workDir"`
}

func registryDir() (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "running")
	return dir, os.MkdirAll(dir, 0o755)
}

// register records the children of this process so that a later run can
// reap them if this one is killed before it can clean up.
func register(pids []int, workDir string) (string, error) {
	dir, err := registryDir()
	if err != nil {
		return "", err
	}
	rec, _ := json.Marshal(runRecord{Owner: os.Getpid(), Pids: pids, WorkDir: workDir})
	path := filepath.Join(dir, fmt.Sprintf("%d-%d.json", os.Getpid(), time.Now().UnixNano()))
	return path, os.WriteFile(path, rec, 0o644)
}

// ReapOrphans kills platform processes whose owner is gone. It only kills a
// pid whose command line still names a platform binary, in case the pid was
// reused.
func ReapOrphans() error {
	dir, err := registryDir()
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		var rec runRecord
		data, err := os.ReadFile(path)
		if err != nil || json.Unmarshal(data, &rec) != nil || alive(rec.Owner) {
			continue
		}
		for _, pid := range rec.Pids {
			if isPlatformProcess(pid) {
				errs = append(errs, syscall.Kill(pid, syscall.SIGKILL))
			}
		}
		errs = append(errs, os.Remove(path))
	}
	return errors.Join(errs...)
}

func alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

func isPlatformProcess(pid int) bool {
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	exe := filepath.Base(strings.SplitN(string(cmdline), "\x00", 2)[0])
	return exe == binEtcd || exe == binKubeAPIServer || exe == binControllerManager || exe == binKratixManager
}
