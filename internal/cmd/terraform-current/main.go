// Command terraform-current prints the path of the current Terraform
// (platform.CurrentTerraformVersion), building it into the cache first when
// it is not there (minutes, once). The docs are rendered with it, because
// older Terraform leaves list resources and actions out of the provider's
// schema.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

func main() {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	path, err := platform.EnsureCurrentTerraform(context.Background(), logf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(path)
}
