package platform

import (
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A supervised process that keeps exiting is started again with a growing
// delay, its log appended to, until it is stopped; stopping it during the
// delay ends it at once.
func TestSupervisedProcessRestarts(t *testing.T) {
	dir := t.TempDir()
	var restarts atomic.Int32
	p, err := startSupervised("crasher", "/bin/sh", []string{"-c", "echo run; exit 3"}, os.Environ(), dir,
		&restartPolicy{first: 20 * time.Millisecond, max: 200 * time.Millisecond, limit: 100}, func() { restarts.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(readLog(t, p.log), "run\n") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("not restarted 3 times within 10 s; log:\n%s", readLog(t, p.log))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.exited(); err != nil {
		t.Fatalf("a process being restarted reports an exit: %v", err)
	}
	stopped := time.Now()
	p.stop(time.Second)
	if waited := time.Since(stopped); waited > time.Second {
		t.Errorf("stop took %s", waited)
	}
	if p.exited() == nil {
		t.Error("a stopped process does not report its exit")
	}
	runs := strings.Count(readLog(t, p.log), "run\n")
	time.Sleep(300 * time.Millisecond)
	if again := strings.Count(readLog(t, p.log), "run\n"); again != runs {
		t.Errorf("started again after stop: %d runs, then %d", runs, again)
	}
	if log := readLog(t, p.log); !strings.Contains(log, "== platform: crasher exited (exit status 3); starting it again in 20ms (restart 1)") {
		t.Errorf("the log does not say why the process was started again:\n%s", log)
	}
	if n := restarts.Load(); n < 2 {
		t.Errorf("onRestart called %d times, want one per restart", n)
	}
}

// A process that exits more often than its policy's limit is not started
// again, and its exit is reported.
func TestSupervisedProcessGivesUpAfterLimit(t *testing.T) {
	p, err := startSupervised("crasher", "/bin/sh", []string{"-c", "echo run; exit 3"}, os.Environ(), t.TempDir(),
		&restartPolicy{first: time.Millisecond, max: time.Millisecond, limit: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitExited(t, p, "still restarting after 10 s; want an end after 2 restarts")
	if runs := strings.Count(readLog(t, p.log), "run\n"); runs != 3 {
		t.Errorf("%d runs, want 3 (the first and 2 restarts)", runs)
	}
	if err := p.exited(); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("exited() = %v, want the last exit", err)
	}
}

// Without a restart policy an exit is final and reported.
func TestUnsupervisedProcessExits(t *testing.T) {
	p, err := startProcess("once", "/bin/sh", []string{"-c", "echo bad flag; exit 2"}, os.Environ(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	waitExited(t, p, "did not exit within 10 s")
	if err := p.exited(); err == nil || !strings.Contains(err.Error(), "bad flag") {
		t.Errorf("exited() = %v, want the exit with the log's tail", err)
	}
}

// waitExited waits up to 10 s for p to exit for good, failing with why.
func waitExited(t *testing.T, p *process, why string) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal(why)
	}
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
