package provider

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// Expectations that differ when the tests run against a real Kratix
// (KRATIX_PLATFORM_MODE=real): the one the Go module proxy serves (main of
// 2025-09), or Kratix 2026 (KRATIX_SOURCE_DIR), instead of the emulator
// (which follows Kratix of 2026-08). Each difference is in the table in
// internal/emulator/doc.go. harness.Current().Kratix() says which runs;
// byKratix gives each of the three its own column.

// byKratix is the emulator's value, the served Kratix's (2025-09) or Kratix
// 2026's, for the Kratix the tests run against.
func byKratix[T any](emulator, served, kratix2026 T) T {
	switch harness.Current().Kratix() {
	case harness.KratixServed:
		return served
	case harness.Kratix2026:
		return kratix2026
	default:
		return emulator
	}
}

// realImportIgnore adds attributes to ImportStateVerifyIgnore in real mode
// only. conditions: the real controller keeps updating them after the apply
// is done (WorksSucceeded follows the scheduling of Works), so an import a
// moment later reads newer ones.
func realImportIgnore(attrs ...string) []string {
	if harness.Current().Real() {
		return attrs
	}
	return nil
}

// realRequestImportIgnore is realImportIgnore for a resource request: the
// real Kratix also writes status.lastSuccessfulConfigureWorkflowTime in a
// reconcile after the one that completes the workflow, and Kratix 2026
// status.promiseVersion and status.resourceBindingVersion (after the
// workflow, DynamicResourceRequestController.updatePromiseVersionStatus),
// so an unset promise_version is read a moment later too.
func realRequestImportIgnore() []string {
	return realImportIgnore("conditions", "status.%", "status.lastSuccessfulConfigureWorkflowTime",
		"status.promiseVersion", "status.resourceBindingVersion", "promise_version")
}

// expectWorkflows checks the per-pipeline workflows map, which the served
// Kratix leaves empty: it does not publish status.kratix. The emulator and
// Kratix 2026 fill it from status.kratix.workflows.pipelines.
func expectWorkflows(checks map[string]knownvalue.Check) knownvalue.Check {
	return knownvalue.MapExact(byKratix(checks, map[string]knownvalue.Check{}, checks))
}

// expectPromiseMessage checks a Promise's message, which the served Kratix
// drops: its Promise CRD has no status.message, so the status-writer's
// write is pruned. Kratix 2026's CRD has it.
func expectPromiseMessage(message string) knownvalue.Check {
	return knownvalue.StringExact(byKratix(message, "", message))
}

// waitPromiseAvailable waits until a Promise is Available and publishes
// status.kind and status.apiVersion, as a Promise that "already exists"
// before a migration is. The emulator publishes the API with the CRD; the
// real Kratix a moment after it, and it reports Unavailable while its
// configure workflow runs, so a request can exist before its Promise says
// what API it serves.
func waitPromiseAvailable(t *testing.T, name string) {
	t.Helper()
	client := harness.Current().Dynamic(t).Resource(promisesGVR)
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := client.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // keep polling until the timeout
		}
		kind, _, _ := unstructured.NestedString(p.Object, "status", "kind")
		apiVersion, _, _ := unstructured.NestedString(p.Object, "status", "apiVersion")
		status, _, _ := unstructured.NestedString(p.Object, "status", "status")
		return kind != "" && apiVersion != "" && status == "Available", nil
	})
	if err != nil {
		t.Fatalf("Promise %s did not become Available with its API published within two minutes: %v", name, err)
	}
}

// errorByMode matches a diagnostic that names the running pipeline (from
// status.kratix, which the emulator and Kratix 2026 publish and the served
// Kratix does not): against the served Kratix it matches servedPattern,
// without it. (A failed pipeline's message is in all three: the provider
// reads it from the failed Pod's container status, or from the Job's
// Failed condition, where the emulator, which runs no Pods, puts it.)
func errorByMode(pipelinePattern, servedPattern string) *regexp.Regexp {
	return regexp.MustCompile(byKratix(pipelinePattern, servedPattern, pipelinePattern))
}

// stringByKratix expects a string that depends on the Kratix, such as a
// condition reason that was renamed.
func stringByKratix(emulator, served, kratix2026 string) knownvalue.Check {
	return knownvalue.StringExact(byKratix(emulator, served, kratix2026))
}

// expectSettledPromiseStatus checks the status of a Promise that the apply
// did not change. The served Kratix marks a Promise Unavailable at the
// start of every reconcile and Available at its end, so a read that lands
// in between sees Unavailable; only the emulator's is stable.
func expectSettledPromiseStatus() knownvalue.Check {
	if harness.Current().Real() {
		return knownvalue.StringRegexp(regexp.MustCompile(`^(Available|Unavailable)$`))
	}
	return knownvalue.StringExact("Available")
}

// realWebhookRejections are corpus Promises that the served Kratix's
// validating webhook rejects, with what it says; the emulator has no
// webhooks and accepts them. workshop-app-promise's pipeline takes an env
// var from a secretKeyRef without a key, so Kratix cannot build its Job.
var realWebhookRejections = map[string]string{
	"workshop-app-promise": `(?s)admission\s+webhook\s+"vpromise\.kb\.io"\s+refused.*secretKeyRef\.key:\s+Required\s+value`,
}

// realWebhookRejection is the expected error for a corpus entry the real
// Kratix rejects; ok is false in emulator mode and for other entries.
func realWebhookRejection(entry string) (*regexp.Regexp, bool) {
	pattern, ok := realWebhookRejections[entry]
	if !ok || !harness.Current().Real() {
		return nil, false
	}
	return regexp.MustCompile(pattern), true
}
