package acctest

import (
	"fmt"
	"testing"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/kratix-community/terraform-provider-kratix/internal/platform"
)

// Reasons a test cannot pass against a real Kratix: the one the Go module
// proxy serves (main of 2025-09-23), a year older than the Kratix the
// emulator follows (kratix-api.md, 2026-08), or Kratix 2026 itself. Each is
// listed with the other disagreements in internal/emulator/doc.go. Those
// that only Kratix before 2026 has go with SkipInRealModeWithoutKratix2026.
const (
	// RealWatchesFirstAPIVersion: Kratix's controller for a Promise's
	// requests keeps watching the API version it started with; once the
	// Promise stops serving it, the watch fails ("could not find the
	// requested resource") and requests are reconciled only when something
	// else queues them. Kratix 2026 updates the controller's version but
	// restarts its watch only when the watch was stopped
	// (promise_controller.go, ensureDynamicControllerIsStarted), so a
	// request's deletion can wait there for ever.
	RealWatchesFirstAPIVersion = "Kratix (2025-09 and 2026-08 alike) keeps watching the request API version its controller started with, so requests (their deletion included) stop being reconciled when the Promise stops serving it"
	// RealNoReconciliationInterval: the served Promise CRD has no
	// spec.workflows.config.reconciliationInterval, so an apply setting it
	// is refused.
	RealNoReconciliationInterval = "the served Kratix's (2025-09) Promise CRD has no spec.workflows.config.reconciliationInterval"
	// RealWorksSucceededInRequestNamespace: Kratix computes a request's
	// WorksSucceeded from the Works in the request's namespace
	// (DynamicResourceRequestController.getWorksStatus), but writes them to
	// the Promise's pipelineNamespace when one is set, so it reports the
	// request's Works succeeded before they are scheduled. Kratix 2026 does
	// too (the work-writer's --namespace is the pipeline namespace,
	// api/v1alpha1/pipeline_factory.go), so SkipInRealMode skips against it.
	RealWorksSucceededInRequestNamespace = "Kratix (2025-09 and 2026-08 alike) reads a request's Works for WorksSucceeded in the request's namespace, not in the Promise's pipelineNamespace where it writes them, so WorksSucceeded is True before they are scheduled"
	// RealNoWorkflowControl: the served Kratix has no workflow-control, so
	// a pipeline cannot suspend its workflow.
	RealNoWorkflowControl = "the served Kratix (2025-09) has no workflow-control, so no pipeline can suspend its workflow"
)

// RealCannotStagePushRace: a real Kratix loses a push race (Git rejects
// its write because another reached the same branch first) only by chance;
// the emulator stages one on demand (emulator.LabelLosePushRace).
const RealCannotStagePushRace = "a real Kratix loses a push race only by chance; the emulator stages one on demand"

// RealNoDestinationReconcileEvents: Kratix before 2026 records an Event
// about a Destination only when its Ready condition changes, so after an
// update that Kratix is slow to reconcile nothing tells the condition of
// the new spec from the old one.
const RealNoDestinationReconcileEvents = "Kratix before 2026 records no Event for a Destination reconcile that leaves its Ready condition as it was"

// Kratix names what plays Kratix in the tests.
type Kratix string

const (
	// KratixEmulator is package emulator (it follows Kratix of 2026-08);
	// also reported against an existing cluster, where Real is false.
	KratixEmulator Kratix = "emulator"
	// KratixServed is the real Kratix the Go module proxy serves (main of
	// 2025-09), or any real Kratix that does not serve PromiseRevisions.
	KratixServed Kratix = "real Kratix 2025-09"
	// Kratix2026 is a real Kratix of 2026 (KRATIX_SOURCE_DIR), told by the
	// PromiseRevisions it serves.
	Kratix2026 Kratix = "real Kratix 2026"
)

// Kratix says which Kratix the tests run against. It is found once, when
// the platform starts.
func (e *Env) Kratix() Kratix {
	if !e.Real() {
		return KratixEmulator
	}
	return e.kratix
}

// detectKratix tells a real Kratix of 2026 from older ones by the
// PromiseRevisions it serves.
func detectKratix(cfg *rest.Config) (Kratix, error) {
	cs, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return "", err
	}
	resources, err := cs.ServerResourcesForGroupVersion("platform.kratix.io/v1alpha1")
	if err != nil {
		return "", fmt.Errorf("listing the resources Kratix serves: %w", err)
	}
	for _, r := range resources.APIResources {
		if r.Name == "promiserevisions" {
			return Kratix2026, nil
		}
	}
	return KratixServed, nil
}

// SkipInRealModeWithoutKratix2026 skips a test, for reason, against a real
// Kratix that does not serve PromiseRevisions (those before 2026, such as
// the one the module proxy serves). Against Kratix 2026 the test runs.
func SkipInRealModeWithoutKratix2026(t *testing.T, reason string) {
	t.Helper()
	if current.Kratix() == KratixServed {
		t.Skip("skipped against this real Kratix: " + reason)
	}
}

// Real reports whether the tests run against the real Kratix manager.
func (e *Env) Real() bool { return e != nil && e.Mode == platform.ModeReal }

// SkipInRealMode skips a test that cannot pass against any real Kratix,
// Kratix 2026 included, naming one of the reasons above. A test that only
// Kratix before 2026 fails calls SkipInRealModeWithoutKratix2026.
func SkipInRealMode(t *testing.T, reason string) {
	t.Helper()
	if current.Real() {
		t.Skip("skipped against real Kratix: " + reason)
	}
}
