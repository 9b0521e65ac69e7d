package platform

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A module shaped like Terraform's: go.mod replaces two of its packages
// with nested modules, one missing from the download and one present.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = `module example.com/tf

go 1.24

require (
	example.com/tf/gone v0.0.0-00010101000000-000000000000
	example.com/tf/kept v0.0.0-00010101000000-000000000000
)

replace example.com/tf/gone => ./gone

replace example.com/tf/kept => ./kept
`
	files["kept/go.mod"] = "module example.com/tf/kept\n\ngo 1.24\n"
	files["kept/kept.go"] = "package kept\n\nfunc New() string { return \"kept\" }\n"
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const registry = `package main

import (
	"fmt"

	gone "example.com/tf/gone/backend"
	"example.com/tf/kept"
)

func main() {
	backends := map[string]func() string{
		"kept": kept.New,
		// a backend whose module is missing
		"gone": func() string { return gone.New() },
	}
	fmt.Println(len(backends))
}
`

func TestPatchTerraformSourceDropsMissingModules(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"main.go":      registry,
		"main_test.go": "package main\n\nimport _ \"example.com/tf/gone/backend\"\n",
	})
	if err := patchTerraformSource(dir); err != nil {
		t.Fatal(err)
	}
	goMod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	if strings.Contains(string(goMod), "tf/gone") || !strings.Contains(string(goMod), "example.com/tf/kept => ./kept") {
		t.Errorf("go.mod should lose only the missing module:\n%s", goMod)
	}
	main, _ := os.ReadFile(filepath.Join(dir, "main.go"))
	if strings.Contains(string(main), "gone") || !strings.Contains(string(main), `"kept": kept.New`) {
		t.Errorf("main.go should lose only the missing module's import and entry:\n%s", main)
	}
	// The patched module builds (test files are not built, so theirs stay).
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", os.DevNull, ".")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the patched module does not build: %v\n%s\n%s", err, out, main)
	}
}

// A use the patch cannot remove is an error naming the file, not a
// build failure minutes later.
func TestPatchTerraformSourceRefusesOtherUses(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"main.go": "package main\n\nimport gone \"example.com/tf/gone/backend\"\n\nfunc main() { gone.New() }\n",
	})
	err := patchTerraformSource(dir)
	if err == nil || !strings.Contains(err.Error(), "main.go") || !strings.Contains(err.Error(), "example.com/tf/gone/backend") {
		t.Fatalf("want an error naming main.go and the package, got %v", err)
	}
}
