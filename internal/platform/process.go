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
	"syscall"
	"time"
)

// process is one control-plane binary the platform runs.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startProcess runs bin with args, logging to <logDir>/<name>.log. The child
// gets SIGKILL when its parent dies (Pdeathsig), so a test binary killed by
// a timeout or ^C does not leave an API server behind; the run registry below
// covers the cases Pdeathsig cannot (for example a detached platform).
func startProcess(name, bin string, args, env []string, logDir string) (*process, error) {
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// exited reports an early exit with the tail of the process log, which is
// where the reason (a bad flag, a port in use) is.
func (p *process) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s exited early (%v); last log lines from %s:\n%s", p.name, p.err, p.log, tail(p.log, 20))
	default:
		return nil
	}
}

// stop asks politely, then insists.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
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
