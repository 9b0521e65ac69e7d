//go:build tools

// Package platform pins the control-plane binaries the local Kratix platform
// runs. The blank imports keep `go mod tidy` from dropping them.
package platform

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
