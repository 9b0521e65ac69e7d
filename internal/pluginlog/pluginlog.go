// Package pluginlog decides, inside a plugin process, whether its loggers
// write anything: Terraform discards a plugin's log lines unless the user
// asked for them, so encoding them is wasted work.
package pluginlog

// logSwitches are the variables with which a user asks for provider logs:
// Terraform forwards a plugin's log lines only under TF_LOG or
// TF_LOG_PROVIDER, and the plugin SDKs read their own TF_LOG_SDK* levels.
var logSwitches = []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}

// QuietUnlessAsked turns the plugin's loggers off when none of
// logSwitches is set (an empty value counts as unset, as in Terraform).
// terraform-plugin-go and the framework otherwise log at TRACE by default:
// dozens of JSON lines per RPC that Terraform parses and throws away, 40 %
// of a 500-request plan's time (BENCHMARKS.md). Anyone who sets TF_LOG
// still gets every line.
func QuietUnlessAsked(lookup func(string) (string, bool), set func(string, string) error) {
	for _, name := range logSwitches {
		if v, _ := lookup(name); v != "" {
			return
		}
	}
	_ = set("TF_LOG_SDK", "OFF")
	_ = set("TF_LOG_PROVIDER", "OFF")
}
