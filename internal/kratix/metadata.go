package kratix

import "strings"

// kratixMetadataKeys are the labels and annotations Kratix (or a tool
// beside it) writes on objects users own: they record Kratix's work, not
// what the owner asked for, so adopting an object leaves them out.
var kratixMetadataKeys = map[string]bool{
	LabelPromiseName:                true,
	LabelManualReconciliation:       true,
	LabelWorkflowRunFromStart:       true,
	LabelWorkflowSuspended:          true,
	"kratix.io/reconcile-resources": true,
	// OpenTelemetry trace context, written when Kratix's tracing is on.
	"kratix.io/trace-parent":     true,
	"kratix.io/trace-state":      true,
	"kratix.io/trace-timestamp":  true,
	"kratix.io/trace-generation": true,
	// kubectl apply's record of its last input.
	"kubectl.kubernetes.io/last-applied-configuration": true,
}

// IsKratixMetadata reports whether a label or annotation key is one Kratix
// or kubectl writes for itself (see kratixMetadataKeys), including Kratix's
// internal keys.
func IsKratixMetadata(key string) bool {
	return kratixMetadataKeys[key] || strings.HasPrefix(key, "internal.workflows.kratix.io/")
}
