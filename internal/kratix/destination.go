package kratix

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Destination spec values and defaults (kratix-api.md §6).
const (
	FilepathNestedByMetadata = "nestedByMetadata"
	FilepathAggregatedYAML   = "aggregatedYAML"
	FilepathNone             = "none"
	// DefaultFilepathMode is the CRD default for spec.filepath.
	DefaultFilepathMode = FilepathNestedByMetadata
	// DefaultAggregatedFilename is what Kratix's mutating webhook sets
	// spec.filepath.filename to for aggregatedYAML.
	DefaultAggregatedFilename = "aggregated.yaml"

	CleanupNone = "none"
	CleanupAll  = "all"
	// DefaultCleanup is the CRD default for spec.cleanup.
	DefaultCleanup = CleanupNone

	// FinalizerDestinationCleanup is added when spec.cleanup is all.
	FinalizerDestinationCleanup = "kratix.io/destination-cleanup"
)

// FilepathModes and CleanupPolicies are the CRD enums.
var (
	FilepathModes   = []string{FilepathNestedByMetadata, FilepathAggregatedYAML, FilepathNone}
	CleanupPolicies = []string{CleanupNone, CleanupAll}
)

// Ready reasons on a Destination.
const (
	ReasonTestDocumentsWritten             = "TestDocumentsWritten"
	ReasonDestinationReady                 = "DestinationReady"
	ReasonDestinationNotReady              = "DestinationNotReady"
	ReasonStateStoreNotReady               = "StateStoreNotReady"
	ReasonStateStoreNotFound               = "StateStoreNotFound"
	ReasonStateStoreWriteFailed            = "StateStoreWriteFailed"
	ReasonDestinationFinalizerUpdateFailed = "DestinationFinalizerUpdateFailed"
)

// StateStoreRef is a Destination's spec.stateStoreRef.
type StateStoreRef struct {
	Kind string
	Name string
}

func (r StateStoreRef) String() string { return r.Kind + "/" + r.Name }

// DestinationSummary is what a Destination says about itself.
type DestinationSummary struct {
	Name       string
	Labels     map[string]string
	Path       string
	StateStore StateStoreRef
	Readiness  Readiness
}

// SummariseDestination reads a Destination's identity, placement and
// readiness.
func SummariseDestination(obj *unstructured.Unstructured) DestinationSummary {
	return DestinationSummary{
		Name:       obj.GetName(),
		Labels:     obj.GetLabels(),
		Path:       nestedString(obj, "spec", "path"),
		StateStore: DestinationStateStore(obj),
		Readiness:  DestinationReadiness(obj),
	}
}

// DestinationStateStore reads spec.stateStoreRef.
func DestinationStateStore(obj *unstructured.Unstructured) StateStoreRef {
	return StateStoreRef{
		Kind: nestedString(obj, "spec", "stateStoreRef", "kind"),
		Name: nestedString(obj, "spec", "stateStoreRef", "name"),
	}
}

// Readiness is an object's Ready condition, read for a person.
type Readiness struct {
	// Ready is true when the Ready condition is True.
	Ready bool
	// Reported is false while Kratix has not written a Ready condition.
	Reported bool
	Reason   string
	Message  string
	// Failing marks reasons that need someone to act: Kratix keeps
	// retrying, but will not succeed by itself. A write that lost a race
	// (WriteRace) is not failing.
	Failing bool
	// WriteRace is true when the condition reports a push that Git
	// rejected because another writer moved the branch first (see
	// writeRaceMessage): Kratix's next reconcile usually succeeds.
	WriteRace bool
	// ObservedGeneration is the generation the condition (or the status)
	// was written for; 0 when Kratix did not record one.
	ObservedGeneration int64
	// TransitionTime is the condition's lastTransitionTime; zero when absent.
	TransitionTime time.Time
}

// Summary is the readiness in one line, e.g.
// "Ready=False (StateStoreNotFound): GitStateStore/x: not found".
func (r Readiness) Summary() string {
	if !r.Reported {
		return "Kratix has not reported readiness yet"
	}
	status := "False"
	if r.Ready {
		status = "True"
	}
	s := fmt.Sprintf("Ready=%s (%s)", status, r.Reason)
	if r.Message != "" {
		s += ": " + r.Message
	}
	return s
}

var destinationFailures = map[string]bool{
	ReasonStateStoreNotFound:               true,
	ReasonStateStoreNotReady:               true,
	ReasonStateStoreWriteFailed:            true,
	ReasonDestinationFinalizerUpdateFailed: true,
}

// DestinationReadiness evaluates a Destination's Ready condition.
func DestinationReadiness(obj *unstructured.Unstructured) Readiness {
	return readiness(obj, destinationFailures)
}

func readiness(obj *unstructured.Unstructured, failures map[string]bool) Readiness {
	if obj == nil {
		return Readiness{}
	}
	c, ok := FindCondition(obj, CondReady)
	if !ok {
		return Readiness{}
	}
	r := Readiness{Ready: c.IsTrue(), Reported: true, Reason: c.Reason, Message: c.Message}
	r.WriteRace = c.IsFalse() && writeRaceMessage(c.Message)
	r.Failing = c.IsFalse() && failures[c.Reason] && !r.WriteRace
	r.ObservedGeneration = conditionGeneration(obj, CondReady)
	r.TransitionTime, _ = time.Parse(time.RFC3339, c.LastTransitionTime)
	return r
}

// conditionGeneration is the condition's observedGeneration, else the
// status's, else 0.
func conditionGeneration(obj *unstructured.Unstructured, condType string) int64 {
	raw, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, item := range raw {
		m, _ := item.(map[string]any)
		if m == nil || m["type"] != condType {
			continue
		}
		if g, ok := m["observedGeneration"]; ok {
			return toInt64(g)
		}
	}
	g, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	return g
}

// DestinationAdvice says what to check for a Destination that is not ready,
// or "" when there is nothing specific to say.
func DestinationAdvice(obj *unstructured.Unstructured) string {
	r := DestinationReadiness(obj)
	if r.WriteRace {
		return writeRaceAdvice
	}
	store := DestinationStateStore(obj)
	switch destinationAdviceReason(r, store) {
	case ReasonStateStoreNotFound:
		return fmt.Sprintf("The Destination names the state store %s, which does not exist. Check state_store.kind and "+
			"state_store.name, or create the store (kratix_%s) before the Destination: reference it, e.g. "+
			"name = kratix_%s.<label>.name, so Terraform orders the two.", store, snake(store.Kind), snake(store.Kind))
	case ReasonStateStoreNotReady:
		return fmt.Sprintf("The state store %s is not ready, so Kratix cannot write to it. Check the store's own "+
			"status and conditions (kubectl get %s %s -o yaml): its URL or endpoint, its Secret and its credentials.",
			store, strings.ToLower(store.Kind), store.Name)
	case ReasonStateStoreWriteFailed:
		return fmt.Sprintf("Kratix could not write the test documents to %s at path %q. Check that the credentials "+
			"in the store's Secret can write to the repository or bucket (branch, bucket name, permissions), or set "+
			"init_workloads = false to skip the test documents.", store, nestedString(obj, "spec", "path"))
	case ReasonDestinationFinalizerUpdateFailed:
		return "Kratix could not update the Destination's finalizers; check the Kratix controller's logs and RBAC."
	}
	return ""
}

// destinationAdviceReason is the reason to advise on. Kratix releases
// before the StateStoreNotFound and StateStoreNotReady reasons (2025) report
// both as StateStoreWriteFailed, with the client's error as the message:
// `GitStateStore.platform.kratix.io "x" not found` for a missing store,
// `secret "x" not found in namespace "y"` for a store without its Secret.
func destinationAdviceReason(r Readiness, store StateStoreRef) string {
	if r.Reason != ReasonStateStoreWriteFailed {
		return r.Reason
	}
	switch {
	case strings.Contains(r.Message, fmt.Sprintf("%s.%s %q not found", store.Kind, Group, store.Name)):
		return ReasonStateStoreNotFound
	case secretNotFoundMessage(r.Message):
		return ReasonStateStoreNotReady
	}
	return r.Reason
}

// writeRaceMessage matches a push that Git rejected because the branch
// moved while Kratix was writing: another write to the same repository got
// there first, usually one of Kratix's own (a state store's permission
// check, a Destination's test documents and a WorkPlacement all clone,
// commit and push, and Kratix does not retry a rejected push at once). Its
// next reconcile of the object starts from the new tip and usually
// succeeds, so this is not a reason to give up. go-git (Kratix of 2025)
// says "non-fast-forward update", the git CLI (Kratix of 2026) "(fetch
// first)" or "(non-fast-forward)", and a server that was updating the
// branch at that moment "cannot lock ref".
func writeRaceMessage(message string) bool {
	for _, s := range []string{"non-fast-forward", "(fetch first)", "cannot lock ref"} {
		if strings.Contains(message, s) {
			return true
		}
	}
	return false
}

// writeRaceAdvice explains a Ready=False that writeRaceMessage matches.
const writeRaceAdvice = "Git rejected Kratix's push because another write to the same branch got there first (usually another " +
	"of Kratix's own writes: a state store's permission check, a Destination's test documents, a WorkPlacement). Kratix " +
	"tries again when it next reconciles the object, usually within 15 seconds, so this clears by itself; if it does " +
	"not, check whether something else keeps writing to that branch."

// secretNotFoundMessage matches the message Kratix builds from a failed
// Secret read: `secret "x" not found in namespace "y"`.
func secretNotFoundMessage(message string) bool {
	return strings.Contains(message, `secret "`) && strings.Contains(message, `" not found in namespace "`)
}

// snake turns GitStateStore into git_state_store.
func snake(kind string) string {
	var b strings.Builder
	for i, r := range kind {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DestinationWatch decides when a Destination is ready after an apply; see
// ReadyWatch.
type DestinationWatch struct{ ReadyWatch }

// Observe evaluates one version of the Destination; nil means not found.
func (w *DestinationWatch) Observe(obj *unstructured.Unstructured) Outcome {
	if obj == nil {
		return Outcome{State: Waiting, Summary: "the Destination does not exist (yet)"}
	}
	return w.observe(obj, DestinationReadiness(obj), "the Destination")
}

// Reasons of the Events Kratix records about a Destination it reconciled.
const (
	EventReasonDestinationReady    = "DestinationReady"
	EventReasonDestinationNotReady = "DestinationNotReady"
)

// DestinationReconcileVerdict reads an Event (core/v1 form) that Kratix
// recorded about a Destination: ok when it reports a reconcile of the
// Destination's resourceVersion minVersion or a later one, and ready is
// what that reconcile found. Kratix releases that serve PromiseRevisions
// (2026 on) record one such Event on every reconcile, after writing the
// Destination's test documents to its state store; earlier ones only when
// the Ready condition changes.
func DestinationReconcileVerdict(event *unstructured.Unstructured, minVersion string) (ready, ok bool) {
	seen, _ := strconv.ParseInt(nestedString(event, "involvedObject", "resourceVersion"), 10, 64)
	least, err := strconv.ParseInt(minVersion, 10, 64)
	if err != nil || seen < least {
		return false, false
	}
	switch nestedString(event, "reason") {
	case EventReasonDestinationReady:
		return true, true
	case EventReasonDestinationNotReady:
		return false, true
	}
	return false, false
}

// NormaliseDestinationPath is the form in which two Destination paths are
// compared: "", ".", "/" and "./" all mean the state store's root, and
// leading or trailing slashes do not matter.
func NormaliseDestinationPath(p string) string {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if p == "" {
		return "."
	}
	return path.Clean(p)
}

// DestinationPathConflict returns the name of another Destination, among
// others, that writes to the same path of the same state store, or "".
// Kratix's webhook refuses such a Destination.
func DestinationPathConflict(name, destPath string, store StateStoreRef, others []*unstructured.Unstructured) string {
	want := NormaliseDestinationPath(destPath)
	for _, o := range others {
		if o.GetName() == name || o.GetDeletionTimestamp() != nil {
			continue
		}
		if DestinationStateStore(o) != store {
			continue
		}
		if NormaliseDestinationPath(nestedString(o, "spec", "path")) == want {
			return o.GetName()
		}
	}
	return ""
}
