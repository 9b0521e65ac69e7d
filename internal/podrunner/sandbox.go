package podrunner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
)

// adapterPath is where Kratix's pipeline adapter image keeps its binary.
const adapterPath = "/bin/pipeline-adapter"

// runAdapter runs a pipeline adapter container with the built binary in a
// private mount namespace whose root holds only the binary, /tmp and the
// container's mounts. It returns the exit code and, on failure, the tail of
// the output as termination message.
func (r *Runner) runAdapter(ctx context.Context, c *corev1.Container, env []string, mounts []mount, logDir string) (int32, string) {
	root := filepath.Join(filepath.Dir(logDir), "roots", c.Name)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return 1, err.Error()
	}
	defer func() { _ = os.RemoveAll(root) }() // an empty directory: the tmpfs lived only in the namespace
	argv := append(append([]string{}, c.Command...), c.Args...)
	if len(c.Command) == 0 {
		argv = append([]string{adapterPath}, c.Args...)
	}
	script := sandboxScript(r.tools, root, r.opts.PipelineAdapter, mounts, argv)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return 1, err.Error()
	}
	logPath := filepath.Join(logDir, c.Name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return 1, err.Error()
	}
	defer func() { _ = logFile.Close() }()
	var tailBuf bytes.Buffer
	cmd := exec.CommandContext(ctx, r.tools.unshare, "--mount", "--propagation", "private", r.tools.sh, "-ec", script)
	cmd.Env = env
	cmd.Stdout = io.MultiWriter(logFile, &tailBuf)
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, ""
	case errors.As(err, &exitErr):
		return int32(exitErr.ExitCode()), lastLines(tailBuf.String(), 10) //nolint:gosec // exit codes fit
	default:
		return 1, fmt.Sprintf("running %s in a private mount namespace: %v", c.Name, err)
	}
}

// sandboxScript mounts a tmpfs over root, builds the container's view of
// the filesystem in it, and execs the adapter chrooted there. It runs in
// the new mount namespace, so none of these mounts is visible outside.
func sandboxScript(t sandboxTools, root, adapter string, mounts []mount, argv []string) string {
	var b strings.Builder
	line := func(args ...string) {
		for i, a := range args {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(shellQuote(a))
		}
		b.WriteByte('\n')
	}
	line(t.mount, "-t", "tmpfs", "-o", "mode=0755", "tmpfs", root)
	line(t.mkdir, "-p", root+"/bin", root+"/tmp")
	line(t.touch, root+adapterPath)
	line(t.mount, "--bind", adapter, root+adapterPath)
	for _, m := range mounts {
		target := root + m.target
		if info, err := os.Stat(m.source); err == nil && !info.IsDir() {
			line(t.mkdir, "-p", filepath.Dir(target))
			line(t.touch, target)
		} else {
			line(t.mkdir, "-p", target)
		}
		opts := "bind"
		if m.readOnly {
			opts = "bind,ro"
		}
		line(t.mount, "-o", opts, m.source, target)
	}
	b.WriteString("exec ")
	line(append([]string{t.chroot, root}, argv...)...)
	return b.String()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
