package provider

import (
	"strings"
	"testing"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccOpenTofu_refusesListAndAction: what OpenTofu says to a
// configuration that uses the provider's list resources or actions, which
// Terraform 1.14 added and OpenTofu lacks, so that the docs can say it. The
// provider itself works on OpenTofu: its schema's list resources and
// actions are ignored, and the configuration without them initializes.
func TestAccOpenTofu_refusesListAndAction(t *testing.T) {
	testAccPreCheck(t)
	if !harness.OnOpenTofu() {
		t.Skip("runs in the OpenTofu pass (KRATIX_TEST_CLI=tofu, make testacc-tofu)")
	}
	base := harness.Current().ProviderConfig()
	cli := newTerraformCLI(t, base)
	cli.run("validate")

	for _, c := range []struct {
		name, config string
		want         []string
	}{
		{
			name: "a list block",
			config: `list "kratix_promise" "all" {
  provider = kratix
}
`,
			want: []string{`Unsupported block type`, `Blocks of type "list" are not expected here.`},
		},
		{
			name: "an action block",
			config: `action "kratix_reconcile" "promise" {
  config {
    promise = "example"
  }
}
`,
			want: []string{`Unsupported block type`, `Blocks of type "action" are not expected here.`},
		},
		{
			name: "an action_trigger",
			config: `resource "terraform_data" "change" {
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.kratix_reconcile.promise]
    }
  }
}
`,
			want: []string{`Unsupported block type`, `Blocks of type "action_trigger" are not expected here.`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			cli.write(base + c.config)
			out, err := cli.try("validate")
			if err == nil {
				t.Fatalf("tofu validate accepted %s:\n%s", c.name, out)
			}
			for _, want := range c.want {
				if !strings.Contains(out, want) {
					t.Errorf("tofu validate of %s: want %q in\n%s", c.name, want, out)
				}
			}
		})
	}

	// Terraform reads list blocks from .tfquery.hcl files, with its query
	// command; OpenTofu reads no such file and has no such command.
	cli.write(base)
	cli.writeFile("promises.tfquery.hcl", `list "kratix_promise" "all" {
  provider = kratix
}
`)
	cli.run("validate")
	out, err := cli.try("query")
	if want := `OpenTofu has no command named "query".`; err == nil || !strings.Contains(out, want) {
		t.Errorf("tofu query: %v, want %q in\n%s", err, want, out)
	}
}
