//go:build tools

// Package kratix pins the Kratix binaries the local platform runs in real
// mode. The blank imports keep `go mod tidy` from dropping them.
package kratix

import (
	_ "github.com/syntasso/kratix/cmd"
	_ "github.com/syntasso/kratix/work-creator"
)
