package acctest

import "testing"

// EmulatorNoVersionUpgrades: the emulator makes every request's
// ResourceBinding but does not move requests between Promise versions.
const EmulatorNoVersionUpgrades = "the Kratix emulator does not move requests between Promise versions (ResourceBinding " +
	"upgrades); the real-Kratix pass against Kratix 2026 runs this test"

// SkipWithEmulator skips a test that only a real Kratix can pass, naming
// why; the real-Kratix passes of make test run it.
func SkipWithEmulator(t *testing.T, reason string) {
	t.Helper()
	if current.Kratix() == KratixEmulator {
		t.Skip("skipped against the Kratix emulator: " + reason)
	}
}
