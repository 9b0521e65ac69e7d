package kratix

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Versioned Promises (Kratix of 2026; kratix-api.md §5.6, §9): Kratix keeps
// a PromiseRevision per `kratix.io/promise-version` of a Promise, and gives
// every request a ResourceBinding that says which version it runs.
var ResourceBindingGVK = gvk("ResourceBinding")

const (
	// VersionNotSet is the revision version of a Promise without a version label.
	VersionNotSet = "not-set"
	// CondUpgradeSucceeded is the binding's verdict on its last upgrade.
	CondUpgradeSucceeded = "UpgradeSucceeded"
	// LabelLatestRevision is how Kratix's Promise controller marks the
	// revision it wants latest; its PromiseRevision controller then sets
	// status.latest and takes the label off the others.
	LabelLatestRevision = "kratix.io/latest-revision"
)

// Revision is one PromiseRevision.
type Revision struct {
	Name    string
	Version string
	Latest  bool
	// Labelled is the kratix.io/latest-revision label: Kratix wants this
	// revision latest, and status.latest follows.
	Labelled bool
	Created  time.Time
}

// Revisions reads PromiseRevisions, oldest first (then by version).
func Revisions(items []unstructured.Unstructured) []Revision {
	out := make([]Revision, 0, len(items))
	for i := range items {
		version, _, _ := unstructured.NestedString(items[i].Object, "spec", "version")
		latest, _, _ := unstructured.NestedBool(items[i].Object, "status", "latest")
		out = append(out, Revision{
			Name: items[i].GetName(), Version: version, Latest: latest,
			Labelled: items[i].GetLabels()[LabelLatestRevision] == "true",
			Created:  items[i].GetCreationTimestamp().Time,
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// LatestRevision is the revision Kratix marks latest, if any. Right after
// a new version Kratix marks it latest before it unmarks the previous one,
// so the newest of those marked wins.
func LatestRevision(revisions []Revision) (Revision, bool) {
	for i := len(revisions) - 1; i >= 0; i-- {
		if revisions[i].Latest {
			return revisions[i], true
		}
	}
	return Revision{}, false
}

// RevisionSettled says whether Kratix has settled the revision of a
// Promise's version after the Promise got that version, and if not, what
// is left. The Promise becomes Available (or stays so, after a change of
// only its version label) before that: Kratix's Promise controller creates
// or updates the revision, labelled kratix.io/latest-revision, on its next
// reconcile (handlePromiseVersion in internal/controller/promise_controller.go
// of Kratix 2026), and its PromiseRevision controller then sets
// status.latest and unlabels the previous latest (Reconcile in
// internal/controller/promiserevision_controller.go). Until then requests
// without a pinned version, and anyone reading the revisions, still see the
// previous version.
//
// Settled: a revision of version exists and is the one Kratix marks latest
// (LatestRevision). A Kratix that marks no revision latest at all (none
// has status.latest, and the revision of version is not labelled to be)
// settles with the revision's existence.
func RevisionSettled(version string, revisions []Revision) (bool, string) {
	var own *Revision
	for i := range revisions {
		if revisions[i].Version == version {
			own = &revisions[i]
		}
	}
	if own == nil {
		return false, fmt.Sprintf("waiting for Kratix to create the PromiseRevision of version %q", version)
	}
	latest, ok := LatestRevision(revisions)
	switch {
	case ok && latest.Version == version:
		return true, ""
	case ok:
		return false, fmt.Sprintf("waiting for Kratix to mark the PromiseRevision of version %q latest (the latest is %q)", version, latest.Version)
	case own.Labelled:
		return false, fmt.Sprintf("waiting for Kratix to mark the PromiseRevision of version %q latest", version)
	default:
		return true, ""
	}
}

// CheckVersion says why version cannot be bound to: no revision has it.
func CheckVersion(promise, version string, revisions []Revision) error {
	versions := make([]string, 0, len(revisions))
	for _, r := range revisions {
		if r.Version == version {
			return nil
		}
		versions = append(versions, fmt.Sprintf("%q", r.Version))
	}
	if len(versions) == 0 {
		return fmt.Errorf("the Promise %q has no PromiseRevision yet, so no request can be bound to version %q", promise, version)
	}
	return fmt.Errorf("the Promise %q has no revision at version %q; its versions are %s (the label %s of the Promise makes a new one)",
		promise, version, strings.Join(versions, ", "), LabelPromiseVersion)
}

// RequestVersion is the Promise version a request runs (status.promiseVersion),
// or "" when Kratix has not said or the Promise has no version.
func RequestVersion(request *unstructured.Unstructured) string {
	v, _, _ := unstructured.NestedString(request.Object, "status", "promiseVersion")
	if v == VersionNotSet {
		return ""
	}
	return v
}

// BindingLabels are how Kratix finds the ResourceBinding of a request (its
// name is not used).
func BindingLabels(promise, request string) map[string]string {
	return map[string]string{LabelPromiseName: promise, LabelResourceName: request}
}

// NewBinding is a ResourceBinding that pins a request that does not exist
// yet to version: Kratix adopts it when it first reconciles the request.
func NewBinding(namespace, promise, request, version string) *unstructured.Unstructured {
	b := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"version":     version,
			"promiseRef":  map[string]any{"name": promise},
			"resourceRef": map[string]any{"name": request, "namespace": namespace},
		},
	}}
	b.SetGroupVersionKind(ResourceBindingGVK)
	b.SetNamespace(namespace)
	b.SetName(bindingName(request, promise))
	b.SetLabels(BindingLabels(promise, request))
	return b
}

// bindingName is <request>-<promise>-<5 hex>, within 63 characters, like
// the names Kratix gives bindings (it finds them by label, not by name).
func bindingName(request, promise string) string {
	sum := sha256.Sum256([]byte(request + "/" + promise))
	prefix := request + "-" + promise
	if len(prefix) > 57 {
		prefix = prefix[:57]
	}
	return strings.TrimRight(prefix, "-.") + "-" + hex.EncodeToString(sum[:])[:5]
}

// Binding is what a ResourceBinding says about a request's version.
type Binding struct {
	Desired     string // spec.version: a version, or "latest"
	LastApplied string // status.lastAppliedVersion
	Failed      string // status.failedVersion
	// Upgrade is the UpgradeSucceeded condition: Status "" when absent.
	Upgrade Condition
}

// ReadBinding reads a ResourceBinding.
func ReadBinding(obj *unstructured.Unstructured) Binding {
	b := Binding{}
	b.Desired, _, _ = unstructured.NestedString(obj.Object, "spec", "version")
	b.LastApplied, _, _ = unstructured.NestedString(obj.Object, "status", "lastAppliedVersion")
	b.Failed, _, _ = unstructured.NestedString(obj.Object, "status", "failedVersion")
	if c, ok := FindCondition(obj, CondUpgradeSucceeded); ok {
		b.Upgrade = c
	}
	return b
}

// UpgradeVerdict is where a request's move to a version stands.
type UpgradeVerdict int

const (
	UpgradeInProgress UpgradeVerdict = iota
	UpgradeDone
	UpgradeFailed
)

// Verdict says whether the request bound by b has moved to version: done
// once Kratix applied it (lastAppliedVersion) with nothing in flight;
// failed once Kratix recorded the version as failed (its message is the
// configure workflow's). A verdict about another version is no verdict.
func (b Binding) Verdict(version string) (UpgradeVerdict, string) {
	switch {
	case b.Failed == version && b.Upgrade.Status == "False":
		return UpgradeFailed, b.Upgrade.Message
	case b.LastApplied == version && b.Failed == "" && b.Upgrade.Status != "Unknown":
		return UpgradeDone, ""
	default:
		return UpgradeInProgress, b.Upgrade.Message
	}
}
