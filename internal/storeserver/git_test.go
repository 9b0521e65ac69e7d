package storeserver

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func startGit(t *testing.T) *Git {
	t.Helper()
	g, err := StartGit(GitOptions{Root: t.TempDir(), Username: "kratix", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return g
}

// authURL puts credentials in a clone URL, as the git CLI accepts them.
func authURL(g *Git, repo, user, pass string) string {
	return strings.Replace(g.URL(repo), "http://", "http://"+user+":"+pass+"@", 1)
}

// runGit runs the git CLI in dir, isolated from the user's configuration.
func runGit(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@localhost", "GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@localhost")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	if out, err := runGit(t, dir, args...); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Kratix clones a store's branch with depth 1, commits on it and pushes:
// the same with the git CLI, on a branch other than main.
func TestGitShallowCloneAndPushOnABranch(t *testing.T) {
	g := startGit(t)
	const repo = "platform/state.git"
	if err := g.EnsureBranch(repo, "platform"); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "clone")
	mustGit(t, ".", "clone", "--quiet", "--depth", "1", "--single-branch", "--branch", "platform", authURL(g, repo, "kratix", "s3cret"), work)
	if err := os.MkdirAll(filepath.Join(work, "dev", "resources"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "dev", "resources", "a.yaml"), []byte("kind: A\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustGit(t, work, "add", ".")
	mustGit(t, work, "commit", "--quiet", "-m", "Update from: test")
	mustGit(t, work, "push", "--quiet", "origin", "platform")

	files, err := g.ListFiles(repo, "platform", "dev")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(files, []string{"dev/resources/a.yaml"}) {
		t.Fatalf("files under dev on branch platform = %q, want the pushed file", files)
	}
	content, err := g.ReadFile(repo, "platform", "dev/resources/a.yaml")
	if err != nil || string(content) != "kind: A\n" {
		t.Fatalf("ReadFile = %q, %v; want the pushed content", content, err)
	}
	onMain, err := g.ListFiles(repo, "main", "")
	if err != nil || !slices.Equal(onMain, []string{"README.md"}) {
		t.Fatalf("files on main = %q, %v; want only the initial README.md", onMain, err)
	}
}

func TestGitNewRepositoryHasMainOnly(t *testing.T) {
	g := startGit(t)
	out, err := runGit(t, ".", "ls-remote", "--symref", authURL(g, "new/repo.git", "kratix", "s3cret"))
	if err != nil {
		t.Fatalf("ls-remote: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ref: refs/heads/main\tHEAD") || strings.Count(out, "refs/heads/") != 2 {
		t.Fatalf("a new repository advertises:\n%s\nwant HEAD pointing at main, the only branch", out)
	}
	dir := t.TempDir()
	if out, err := runGit(t, dir, "clone", "--depth", "1", "--branch", "other", authURL(g, "new/repo.git", "kratix", "s3cret"), "c"); err == nil {
		t.Fatalf("cloning a branch nobody created succeeded:\n%s", out)
	}
}

func TestGitRefusesBadCredentials(t *testing.T) {
	g := startGit(t)
	for _, tc := range []struct{ name, user, pass string }{
		{"wrong password", "kratix", "wrong"},
		{"wrong user", "someone", "s3cret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runGit(t, ".", "ls-remote", authURL(g, "platform/state.git", tc.user, tc.pass))
			if err == nil || !strings.Contains(out, "Authentication failed") {
				t.Fatalf("ls-remote with a %s: err %v, output:\n%s\nwant an authentication failure", tc.name, err, out)
			}
		})
	}
	resp, err := http.Get(g.URL("platform/state.git") + "/info/refs?service=git-upload-pack")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("without credentials: %s, WWW-Authenticate %q; want 401 with a Basic challenge", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestGitRepositoryPaths(t *testing.T) {
	for _, tc := range []struct {
		path, repo string
		ok         bool
	}{
		{"/platform/state.git/info/refs", "platform/state.git", true},
		{"/state.git/git-receive-pack", "state.git", true},
		{"/a/../b.git/HEAD", "b.git", true},
		{"/../../etc/x.git/HEAD", "etc/x.git", true},
		{"/platform/state/info/refs", "", false},
		{"/.git/HEAD", "", false},
	} {
		repo, ok := repoOfRequest(tc.path)
		if repo != tc.repo || ok != tc.ok {
			t.Errorf("repoOfRequest(%q) = %q, %v; want %q, %v", tc.path, repo, ok, tc.repo, tc.ok)
		}
	}
}

func TestGitAddTokenAcceptsEachTokenOfAUser(t *testing.T) {
	g := startGit(t)
	canList := func(user, pass string) bool {
		_, err := runGit(t, ".", "ls-remote", authURL(g, "a.git", user, pass))
		return err == nil
	}
	if canList("bot", "one") {
		t.Fatal("a token nobody added was accepted")
	}
	g.AddToken("bot", "one")
	g.AddToken("bot", "two")
	if !canList("bot", "one") || !canList("bot", "two") || !canList("kratix", "s3cret") {
		t.Fatal("an added token, or the server's own credentials, were refused")
	}
	if canList("bot", "s3cret") || canList("kratix", "one") {
		t.Fatal("a password was accepted for a user it does not belong to")
	}
}

// A root given relative to the working directory, as `kratix-platform
// --dir .platform` gives it, serves its repositories.
func TestGitRelativeRoot(t *testing.T) {
	t.Chdir(t.TempDir())
	g, err := StartGit(GitOptions{Root: filepath.Join("state", "git"), Username: "kratix", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	mustGit(t, ".", "clone", "--quiet", authURL(g, "platform/state.git", "kratix", "s3cret"), "clone")
	if _, err := os.Stat(filepath.Join("clone", "README.md")); err != nil {
		t.Fatalf("the clone lacks the initial commit: %v", err)
	}
}
