package provider

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"sync"
)

// terraformIsDestroying reports whether the Terraform CLI that started this
// plugin is running a destroy (`terraform destroy`, or `plan`/`apply` with
// `-destroy`).
//
// Before a destroy, Terraform refreshes by running a normal plan of the
// whole configuration (hashicorp/terraform#33908), so an error from a
// plan-time check of the configuration would block the destroy: for example
// a request whose create the API server refused, checked again now that its
// Promise exists. The protocol does not tell a provider which plan it is
// in, so the plugin looks at its parent's command line (Linux /proc only;
// elsewhere the checks always run). Only checks that cannot matter to a
// destroy are skipped this way.
var terraformIsDestroying = sync.OnceValue(func() bool {
	return destroyArgs(parentArgs())
})

// parentArgs is the command line of the parent process, or nil.
func parentArgs() []string {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(os.Getppid()) + "/cmdline")
	if err != nil || len(raw) == 0 {
		return nil
	}
	return strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00")
}

// destroyArgs reports whether a Terraform command line runs a destroy. A
// plan file applied later (`terraform apply destroy.tfplan`) does not plan
// again, so it needs no detection.
func destroyArgs(args []string) bool {
	if len(args) < 2 || !isTerraformBinary(args[0]) {
		return false
	}
	for _, a := range args[1:] {
		switch a {
		case "destroy", "-destroy", "--destroy", "-destroy=true", "--destroy=true":
			return true
		}
	}
	return false
}

func isTerraformBinary(path string) bool {
	base := path[strings.LastIndexAny(path, `/\`)+1:]
	base = strings.TrimSuffix(base, ".exe")
	return base == "terraform" || base == "tofu" || strings.HasPrefix(base, "terraform")
}
