package platform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTerraform is a script that reports the given version like
// `terraform version -json`.
func fakeTerraform(t *testing.T, version string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "terraform")
	script := "#!/bin/sh\necho '{\"terraform_version\":\"" + version + "\"}'\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEnsureCurrentTerraformTakesTheOverride(t *testing.T) {
	path := fakeTerraform(t, "1.14.2")
	t.Setenv(EnvCurrentTerraformPath, path)
	got, err := EnsureCurrentTerraform(t.Context(), t.Logf)
	if err != nil || got != path {
		t.Fatalf("got %q, %v; want %s", got, err, path)
	}
}

// An override older than list resources and actions fails at once, naming
// the variable and the version, rather than in each test that needs it.
func TestEnsureCurrentTerraformRefusesAnOldOverride(t *testing.T) {
	path := fakeTerraform(t, "1.11.4")
	t.Setenv(EnvCurrentTerraformPath, path)
	_, err := EnsureCurrentTerraform(t.Context(), t.Logf)
	if err == nil || !strings.Contains(err.Error(), EnvCurrentTerraformPath) || !strings.Contains(err.Error(), "1.11.4") {
		t.Fatalf("want an error naming %s and 1.11.4, got %v", EnvCurrentTerraformPath, err)
	}
}
