package storeserver

import (
	"bytes"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// DefaultBranch is the branch every repository starts with.
const DefaultBranch = "main"

// maxPushBytes bounds a request body the server buffers (see ServeHTTP).
const maxPushBytes = 256 << 20

// Git serves bare repositories over smart HTTP with basic auth.
type Git struct {
	root     string
	username string
	password string
	gitPath  string
	server   *server
	// mu serialises repository creation and branch changes.
	mu sync.Mutex
	// tokensMu guards tokens: the extra passwords AddToken accepts, by user.
	tokensMu sync.RWMutex
	tokens   map[string]map[string]bool
}

// GitOptions configure StartGit.
type GitOptions struct {
	// Root is the directory holding the bare repositories; it is created.
	Root     string
	Username string
	Password string
	// Certificate, when set, makes the server speak HTTPS (Kratix releases
	// of 2026 refuse basic auth over plain HTTP).
	Certificate *tls.Certificate
}

// StartGit serves the repositories under opts.Root on a free loopback port.
func StartGit(opts GitOptions) (*Git, error) {
	if opts.Root == "" || opts.Username == "" || opts.Password == "" {
		return nil, errors.New("storeserver: the Git server needs a root directory, a username and a password")
	}
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("storeserver: the Git server runs `git http-backend`, and git is not on PATH: %w", err)
	}
	// git http-backend runs in the root and resolves GIT_PROJECT_ROOT from
	// there: a relative root would name a directory inside itself.
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	g := &Git{root: root, username: opts.Username, password: opts.Password, gitPath: gitPath, tokens: map[string]map[string]bool{}}
	g.server, err = serve(g, opts.Certificate)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// URL is the clone URL of repo, a path such as "platform/state.git".
func (g *Git) URL(repo string) string { return g.server.url + "/" + strings.TrimPrefix(repo, "/") }

// Username and Password are the basic-auth credentials the server accepts.
func (g *Git) Username() string { return g.username }

// Password: see Username.
func (g *Git) Password() string { return g.password }

// AddToken makes the server accept token as the password of username (a
// user it creates if needed), beside the credentials it started with and
// the tokens added before, as a Git host accepts each of a user's access
// tokens. Tests give their stores credentials of their own this way, and
// rotate them by adding a new token.
func (g *Git) AddToken(username, token string) {
	g.tokensMu.Lock()
	defer g.tokensMu.Unlock()
	if g.tokens[username] == nil {
		g.tokens[username] = map[string]bool{}
	}
	g.tokens[username][token] = true
}

// authenticated checks basic-auth credentials.
func (g *Git) authenticated(user, pass string) bool {
	if equal(user, g.username) && equal(pass, g.password) {
		return true
	}
	g.tokensMu.RLock()
	defer g.tokensMu.RUnlock()
	return g.tokens[user][pass]
}

// Close stops serving; the repositories stay on disk.
func (g *Git) Close() error { return g.server.close() }

// ServeHTTP authenticates a smart-HTTP request, creates the repository it
// addresses if needed, and hands it to git http-backend.
func (g *Git) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || !g.authenticated(user, pass) {
		w.Header().Set("WWW-Authenticate", `Basic realm="kratix local git"`)
		http.Error(w, "authentication required", http.StatusUnauthorized)
		return
	}
	repo, ok := repoOfRequest(r.URL.Path)
	if !ok {
		http.Error(w, "not a repository path: a repository path ends in .git", http.StatusNotFound)
		return
	}
	if err := g.ensureRepo(repo); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// net/http/cgi refuses chunked bodies, which the git CLI sends for
	// large pushes: buffer them so that the CGI gets a Content-Length.
	if r.ContentLength < 0 || len(r.TransferEncoding) > 0 {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxPushBytes+1))
		if err != nil || len(body) > maxPushBytes {
			http.Error(w, "request body unreadable or larger than 256 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		r.Body, r.ContentLength, r.TransferEncoding = io.NopCloser(bytes.NewReader(body)), int64(len(body)), nil
	}
	backend := &cgi.Handler{
		Path: g.gitPath,
		Args: []string{"http-backend"},
		Dir:  g.root,
		Env: []string{
			"GIT_PROJECT_ROOT=" + g.root,
			"GIT_HTTP_EXPORT_ALL=1",
			// http-backend enables pushes (receive-pack) for an
			// authenticated user, which REMOTE_USER says this is.
			"REMOTE_USER=" + user,
			"GIT_CONFIG_NOSYSTEM=1",
		},
	}
	backend.ServeHTTP(w, r)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// repoOfRequest finds the repository a smart-HTTP request addresses: the
// path up to and including the first element ending in ".git".
func repoOfRequest(urlPath string) (string, bool) {
	clean := path.Clean("/" + urlPath)
	parts := strings.Split(strings.TrimPrefix(clean, "/"), "/")
	for i, part := range parts {
		if strings.HasSuffix(part, ".git") && len(part) > len(".git") {
			return strings.Join(parts[:i+1], "/"), true
		}
	}
	return "", false
}

// ensureRepo creates repo, bare, with one commit on main, unless it exists.
func (g *Git) ensureRepo(repo string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ensureRepoLocked(repo)
}

func (g *Git) ensureRepoLocked(repo string) error {
	dir, err := g.repoDir(repo)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return nil
	}
	tmp := dir + ".creating"
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if _, err := g.git("", nil, "init", "--quiet", "--bare", "--initial-branch="+DefaultBranch, tmp); err != nil {
		return err
	}
	if err := g.initialCommit(tmp); err != nil {
		return err
	}
	// Renamed into place only when complete, so that a failed creation is
	// retried rather than served half-made.
	return os.Rename(tmp, dir)
}

func (g *Git) initialCommit(dir string) error {
	readme := "Kratix writes the documents of the Destinations that use this repository here.\n"
	blob, err := g.git(dir, strings.NewReader(readme), "hash-object", "-w", "--stdin")
	if err != nil {
		return err
	}
	tree, err := g.git(dir, strings.NewReader("100644 blob "+blob+"\tREADME.md\n"), "mktree")
	if err != nil {
		return err
	}
	commit, err := g.git(dir, strings.NewReader("Initial commit\n"), "commit-tree", tree)
	if err != nil {
		return err
	}
	_, err = g.git(dir, nil, "update-ref", "refs/heads/"+DefaultBranch, commit)
	return err
}

// EnsureBranch creates branch in repo from main, creating repo if needed;
// an existing branch is left as it is.
func (g *Git) EnsureBranch(repo, branch string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.ensureRepoLocked(repo); err != nil {
		return err
	}
	dir, err := g.repoDir(repo)
	if err != nil {
		return err
	}
	if _, err := g.git(dir, nil, "check-ref-format", "--branch", branch); err != nil {
		return err
	}
	ref := "refs/heads/" + branch
	if _, err := g.git(dir, nil, "rev-parse", "--verify", "--quiet", ref); err == nil {
		return nil
	}
	_, err = g.git(dir, nil, "update-ref", ref, "refs/heads/"+DefaultBranch)
	return err
}

// ListFiles lists the files on branch of repo, recursively, relative to the
// repository root; under, when not empty, limits them to a directory.
func (g *Git) ListFiles(repo, branch, under string) ([]string, error) {
	dir, err := g.existingRepoDir(repo)
	if err != nil {
		return nil, err
	}
	args := []string{"ls-tree", "-r", "--name-only", "refs/heads/" + branch}
	if under != "" {
		args = append(args, "--", strings.TrimSuffix(under, "/")+"/")
	}
	out, err := g.git(dir, nil, args...)
	if err != nil || out == "" {
		return nil, err
	}
	return strings.Split(out, "\n"), nil
}

// ReadFile returns the content of file on branch of repo.
func (g *Git) ReadFile(repo, branch, file string) ([]byte, error) {
	dir, err := g.existingRepoDir(repo)
	if err != nil {
		return nil, err
	}
	return g.gitRaw(dir, nil, "cat-file", "blob", "refs/heads/"+branch+":"+strings.TrimPrefix(file, "/"))
}

func (g *Git) repoDir(repo string) (string, error) {
	name, ok := repoOfRequest(repo)
	if !ok || name != strings.Trim(path.Clean("/"+repo), "/") {
		return "", fmt.Errorf("storeserver: %q is not a repository path (a relative path ending in .git)", repo)
	}
	return filepath.Join(g.root, filepath.FromSlash(name)), nil
}

func (g *Git) existingRepoDir(repo string) (string, error) {
	dir, err := g.repoDir(repo)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		return "", fmt.Errorf("storeserver: repository %s does not exist yet (nothing has cloned or pushed it)", repo)
	}
	return dir, nil
}

// git runs a git command on the bare repository dir (none when dir is
// empty) and returns its trimmed output.
func (g *Git) git(dir string, stdin io.Reader, args ...string) (string, error) {
	out, err := g.gitRaw(dir, stdin, args...)
	return strings.TrimSpace(string(out)), err
}

func (g *Git) gitRaw(dir string, stdin io.Reader, args ...string) ([]byte, error) {
	if dir != "" {
		args = append([]string{"--git-dir=" + dir}, args...)
	}
	cmd := exec.Command(g.gitPath, args...)
	cmd.Stdin = stdin
	// Independent of the user's git configuration, and an identity for
	// the initial commit.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=kratix local git", "GIT_AUTHOR_EMAIL=git@localhost",
		"GIT_COMMITTER_NAME=kratix local git", "GIT_COMMITTER_EMAIL=git@localhost")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("storeserver: git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
