package platform

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A module the Go module cache does not hold yet: `go list` finds no
// directory, `go mod download` fetches it, and `go list` runs again.
func TestKratixModuleDirDownloadsThenLooksAgain(t *testing.T) {
	bin, tools := t.TempDir(), t.TempDir()
	moduleDir := filepath.Join(t.TempDir(), "kratix@v0")
	// A stand-in for go: list prints the directory once download has run.
	fakeGo := `#!/bin/sh
case "$1" in
list) if [ -e downloaded ]; then echo "` + moduleDir + `"; else echo; fi ;;
mod) touch downloaded ;;
*) exit 2 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

	got, err := kratixModuleDir(context.Background(), tools)
	if err != nil || got != moduleDir {
		t.Fatalf("kratixModuleDir = %q, %v; want %q", got, err, moduleDir)
	}
}
