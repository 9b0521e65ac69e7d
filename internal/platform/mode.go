package platform

import (
	"fmt"
	"os"
)

// Mode says what plays the Kratix controller on the platform.
type Mode string

const (
	// ModeReal runs Kratix's own controller manager (built from the pinned
	// tools/kratix module) with its CRDs, webhooks and RBAC; package
	// podrunner runs its pipeline pods.
	ModeReal Mode = "real"
	// ModeEmulator installs the project-written CRDs; package emulator
	// plays the controller in-process.
	ModeEmulator Mode = "emulator"
)

// EnvMode selects the mode for `make platform`, `make demo` and the
// acceptance tests.
const EnvMode = "KRATIX_PLATFORM_MODE"

// ModeFromEnv reads $KRATIX_PLATFORM_MODE, falling back to def when unset.
func ModeFromEnv(def Mode) (Mode, error) {
	switch v := Mode(os.Getenv(EnvMode)); v {
	case "":
		return def, nil
	case ModeReal, ModeEmulator:
		return v, nil
	default:
		return "", fmt.Errorf("%s=%q: must be %q or %q", EnvMode, v, ModeReal, ModeEmulator)
	}
}
