package acctest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

// The OpenTofu that the OpenTofu pass drives (KRATIX_TEST_CLI=tofu) builds
// from the Go module proxy and reports its pinned version (a CLI named by
// KRATIX_TOFU_PATH: any OpenTofu). `make tofu` runs this test. When the
// build fails it skips, saying why, and fails under CI=true.
func TestAccOpenTofu(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	t.Setenv("CHECKPOINT_DISABLE", "1")
	path, err := openTofu()
	if err != nil {
		reason := fmt.Sprintf("OpenTofu %s is unavailable: %v\n%s names an OpenTofu you already have",
			platform.OpenTofuVersion, err, platform.EnvOpenTofuPath)
		if InCI() {
			t.Fatal(reason + "\n(CI=true turns this skip into a failure)")
		}
		t.Skip(reason)
	}
	out, err := exec.CommandContext(t.Context(), path, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", path, err, out)
	}
	line := platform.OpenTofuVersionLine(string(out))
	want := "OpenTofu " + platform.OpenTofuVersion
	if os.Getenv(platform.EnvOpenTofuPath) != "" {
		want = "OpenTofu v"
	}
	if !strings.HasPrefix(line, want) {
		t.Errorf("%s version prints %q, want a line %q", path, out, want)
	}
	t.Logf("%s: %s", path, line)
}
