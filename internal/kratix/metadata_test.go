package kratix

import "testing"

func TestIsKratixMetadata(t *testing.T) {
	for key, want := range map[string]bool{
		"kratix.io/promise-name":                           true,
		"kratix.io/manual-reconciliation":                  true,
		"kratix.io/trace-parent":                           true,
		"internal.workflows.kratix.io/run-from-start":      true,
		"kubectl.kubernetes.io/last-applied-configuration": true,
		"kratix.io/promise-version":                        false, // the user's
		"team":                                             false,
		"example.com/owner":                                false,
	} {
		if got := IsKratixMetadata(key); got != want {
			t.Errorf("IsKratixMetadata(%q) = %v, want %v", key, got, want)
		}
	}
}
