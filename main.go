// Command terraform-provider-kratix serves the Kratix Terraform provider over
// plugin protocol 6.
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"k8s.io/klog/v2"

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
		quietLogsNobodyReads(os.LookupEnv, os.Setenv)
	}

	opts := providerserver.ServeOpts{
		Address: "registry.terraform.io/kratix-community/kratix",
		Debug:   debug,
	}
	if err := providerserver.Serve(context.Background(), provider.New(version), opts); err != nil {
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

// logSwitches are the variables with which a user asks for provider logs:
// Terraform forwards a plugin's log lines only under TF_LOG or
// TF_LOG_PROVIDER, and the plugin SDKs read their own TF_LOG_SDK* levels.
var logSwitches = []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}

// quietLogsNobodyReads turns the plugin's loggers off when none of
// logSwitches is set (an empty value counts as unset, as in Terraform).
// terraform-plugin-go and the framework otherwise log at TRACE by default:
// dozens of JSON lines per RPC that Terraform parses and throws away, 40 %
// of a 500-request plan's time (BENCHMARKS.md). Anyone who sets TF_LOG
// still gets every line.
func quietLogsNobodyReads(lookup func(string) (string, bool), set func(string, string) error) {
	for _, name := range logSwitches {
		if v, _ := lookup(name); v != "" {
			return
		}
	}
	_ = set("TF_LOG_SDK", "OFF")
	_ = set("TF_LOG_PROVIDER", "OFF")
}
