// Command terraform-provider-kratix serves the Kratix Terraform provider over
// plugin protocol 6.
package main

import (
	"flag"
	"io"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"k8s.io/klog/v2"

	"github.com/kratix-community/terraform-provider-kratix/internal/pluginlog"
	"github.com/kratix-community/terraform-provider-kratix/internal/provider"
)

// version is set by goreleaser through -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	silenceKlog()
	if !debug {
		pluginlog.QuietUnlessAsked(os.LookupEnv, os.Setenv)
	}

	// As providerserver.Serve does, with the server of provider.NewServer.
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	newProvider := provider.New(version)
	server := func() tfprotov6.ProviderServer { return provider.NewServer(newProvider())() }
	if err := tf6server.Serve("registry.terraform.io/kratix-community/kratix", server, opts...); err != nil {
		log.Fatal(err.Error())
	}
}

// silenceKlog stops client-go from writing to the plugin's stdout/stderr,
// which Terraform either hides or mixes into its own output. Everything the
// provider wants to say goes through tflog instead.
func silenceKlog() {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
}
