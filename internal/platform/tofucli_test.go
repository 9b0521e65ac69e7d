package platform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCLI is a script that prints line like `tofu version` or `terraform
// version`.
func fakeCLI(t *testing.T, line string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cli")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho '"+line+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEnsureOpenTofuTakesTheOverride(t *testing.T) {
	path := fakeCLI(t, "OpenTofu v1.12.2")
	t.Setenv(EnvOpenTofuPath, path)
	got, err := EnsureOpenTofu(t.Context(), t.Logf)
	if err != nil || got != path {
		t.Fatalf("got %q, %v; want %s", got, err, path)
	}
}

// A Terraform named as OpenTofu is refused at once, naming the variable.
func TestEnsureOpenTofuRefusesTerraform(t *testing.T) {
	t.Setenv(EnvOpenTofuPath, fakeCLI(t, "Terraform v1.16.4"))
	_, err := EnsureOpenTofu(t.Context(), t.Logf)
	if err == nil || !strings.Contains(err.Error(), EnvOpenTofuPath) || !strings.Contains(err.Error(), "Terraform v1.16.4") {
		t.Fatalf("want an error naming %s and what the CLI printed, got %v", EnvOpenTofuPath, err)
	}
}
