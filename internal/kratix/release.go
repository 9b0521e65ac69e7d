package kratix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// PromiseRelease vocabulary (kratix-api.md §2 and §9; Kratix's
// internal/controller/promiserelease_controller.go).
const (
	// LabelPromiseReleaseName is set by Kratix on the Promise a
	// PromiseRelease installed, beside a controller ownerRef to the release.
	LabelPromiseReleaseName = "kratix.io/promise-release-name"
	// FinalizerPromiseCleanup is the release's finalizer: Kratix deletes the
	// release's Promise (and so its requests) before removing it.
	FinalizerPromiseCleanup = "kratix.io/promise-cleanup"
	// ReleaseAuthorizationKey is the key of the release's Secret whose
	// value Kratix sends as the Authorization header of the GET.
	ReleaseAuthorizationKey = "authorizationHeader"
	// ReleaseSourceHTTP is the only sourceRef.type Kratix accepts.
	ReleaseSourceHTTP = "http"

	CondInstalled = "Installed"

	ReasonInstalledSuccessfully         = "InstalledSuccessfully"
	ReasonFailedToFetchPromise          = "FailedToFetchPromise"
	ReasonFailedToCreateOrUpdatePromise = "FailedToCreateOrUpdatePromise"
	ReasonVersionLabelNotFound          = "VersionLabelNotFound"
	ReasonVersionNotMatching            = "VersionNotMatching"
)

// ReleaseWatch decides when a PromiseRelease has installed its Promise at
// the version the release names. Kratix writes the Installed condition only
// when its reason or message changes, and never writes an
// observedGeneration, so after an update both an old success and an old
// failure can still be showing:
//   - success counts only once the release's Promise carries the release's
//     spec.version in its version label (Kratix's own test for "installed");
//   - a failure counts when the condition moved after the write, on a
//     create (nothing older to see), or once it has stood for StaleGrace
//     after the write: Kratix re-evaluates a changed release at once and
//     retries failures with a backoff of milliseconds, so a failure still
//     showing then is the current one.
type ReleaseWatch struct {
	// AppliedAt is when the release was written (the API server's clock).
	AppliedAt time.Time
	// Created is true when the write created the release.
	Created bool
	// StaleGrace is how long an Installed=False older than the write is
	// taken for a leftover of the previous spec.
	StaleGrace time.Duration
}

// ReleaseOutcome is where a release stands, and the Promise it installed
// ("" until one is installed at the release's version).
type ReleaseOutcome struct {
	Outcome
	Promise string
	// Reason and Message are Kratix's, from Installed=False, when the
	// release failed.
	Reason, Message string
}

// Observe evaluates one version of the release (nil: not found), beside
// the Promises labelled with its name, at time now.
func (w *ReleaseWatch) Observe(release *unstructured.Unstructured, promises []unstructured.Unstructured, now time.Time) ReleaseOutcome {
	if release == nil {
		return ReleaseOutcome{Outcome: Outcome{State: Waiting, Summary: "the PromiseRelease does not exist (yet)"}}
	}
	version := nestedString(release, "spec", "version")
	url := nestedString(release, "spec", "sourceRef", "url")
	cond, hasCond := FindCondition(release, CondInstalled)
	if hasCond && cond.IsFalse() {
		if w.Created || !cond.TransitionedBefore(w.AppliedAt) || !now.Before(w.AppliedAt.Add(w.StaleGrace)) {
			return ReleaseOutcome{
				Outcome: Outcome{State: Failed, Summary: ReleaseFailure(cond.Reason, cond.Message, url, version)},
				Reason:  cond.Reason, Message: cond.Message,
			}
		}
		return ReleaseOutcome{Outcome: Outcome{State: Waiting, Summary: fmt.Sprintf(
			"Kratix still shows the outcome of the release's previous spec: %s", cond)}}
	}
	if len(promises) > 1 {
		return ReleaseOutcome{Outcome: Outcome{State: Failed, Summary: fmt.Sprintf(
			"%d Promises carry the label %s=%s (%s, ...); Kratix installs exactly one per release and "+
				"will not go on until the others are deleted or relabelled",
			len(promises), LabelPromiseReleaseName, release.GetName(), promises[0].GetName())}}
	}
	if version == "" {
		return ReleaseOutcome{Outcome: Outcome{State: Waiting, Summary: fmt.Sprintf(
			"waiting for Kratix to fetch the Promise from %s and record its version", url)}}
	}
	if len(promises) == 0 {
		return ReleaseOutcome{Outcome: Outcome{State: Waiting, Summary: fmt.Sprintf(
			"waiting for Kratix to install version %s from %s", version, url)}}
	}
	promise := &promises[0]
	installed := promise.GetLabels()[LabelPromiseVersion]
	if installed != version {
		return ReleaseOutcome{Outcome: Outcome{State: Waiting, Summary: fmt.Sprintf(
			"waiting for Kratix to install version %s from %s (Promise %s is at version %q)", version, url, promise.GetName(), installed)}}
	}
	if !hasCond || !cond.IsTrue() {
		return ReleaseOutcome{Outcome: Outcome{State: Waiting, Summary: fmt.Sprintf(
			"Promise %s is at version %s; waiting for Kratix to report the release Installed", promise.GetName(), version)}}
	}
	return ReleaseOutcome{Outcome: Outcome{State: Done, Summary: "Installed"}, Promise: promise.GetName()}
}

// ReleaseFailure words an Installed=False condition for a person: what
// Kratix says, the URL, and what to do. Kratix's own messages are short
// ("Failed to fetch Promise from URL"); the cause of a failed fetch is in
// its controller's log.
func ReleaseFailure(reason, message, url, version string) string {
	what := fmt.Sprintf("Kratix reports Installed=False (%s: %s) for %s", reason, message, url)
	switch reason {
	case ReasonFailedToFetchPromise:
		return what + ". Kratix's controller could not GET that URL, or the answer was not one Promise document " +
			"(Kratix needs HTTP 200 and a single YAML or JSON object of kind Promise). Check that the URL is right and " +
			"reachable from Kratix's controller manager (not only from where Terraform runs) and, for a private source, " +
			"that the authorization Secret holds the key " + ReleaseAuthorizationKey + " with the whole header value " +
			"(for example \"Bearer <token>\"). Kratix's log says why: kubectl -n kratix-platform-system logs " +
			"deployment/kratix-platform-controller-manager | grep -i promiserelease"
	case ReasonVersionLabelNotFound:
		return what + ". The Promise at that URL has no " + LabelPromiseVersion + " label, and Kratix installs a " +
			"Promise from a release only when it names its version. Add the label to the Promise's metadata.labels " +
			"at the source, or point url at a Promise that has one."
	case ReasonVersionNotMatching:
		return what + fmt.Sprintf(". The release asks for version %q, but the Promise at that URL is labelled "+
			"with another version. Set version to the Promise's %s label, leave version unset to take whatever the URL "+
			"serves, or point url at the release of that version.", version, LabelPromiseVersion)
	case ReasonFailedToCreateOrUpdatePromise:
		return what + ". Kratix fetched the Promise but the API server refused it (an invalid Promise, or a Promise " +
			"of that name owned by another release). The PromiseRelease's events say why: kubectl describe promiserelease"
	}
	return what
}

// ReleasedPromise is what a release's URL serves, as far as the provider
// needs it before Kratix installs it: the Promise's name and version label.
type ReleasedPromise struct {
	Name, Version string
	HasVersion    bool
}

// FetchReleasedPromise GETs url as Kratix's URL fetcher does (10 seconds
// at most, the Authorization header when given, status 200, exactly one
// YAML or JSON document of kind Promise) and returns the Promise's name and
// version label. The provider runs it from where Terraform runs, which may
// not reach what Kratix reaches, so its errors are for logging, not for
// failing an apply.
func FetchReleasedPromise(ctx context.Context, url, authHeader string) (ReleasedPromise, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return ReleasedPromise{}, err
	}
	if authHeader != "" {
		req.Header.Set("Authorization", authHeader)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ReleasedPromise{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return ReleasedPromise{}, fmt.Errorf("GET %s: status code %d", url, resp.StatusCode)
	}
	decoder := yaml.NewYAMLOrJSONDecoder(io.LimitReader(resp.Body, 16<<20), 4096)
	var doc unstructured.Unstructured
	if err := decoder.Decode(&doc.Object); err != nil {
		return ReleasedPromise{}, fmt.Errorf("GET %s: not a Kubernetes object: %w", url, err)
	}
	if doc.GetKind() != PromiseGVK.Kind {
		return ReleasedPromise{}, fmt.Errorf("GET %s: expected one Promise, found kind %q", url, doc.GetKind())
	}
	var another map[string]any
	if err := decoder.Decode(&another); !errors.Is(err, io.EOF) {
		return ReleasedPromise{}, fmt.Errorf("GET %s: expected one document, found more", url)
	}
	version, ok := doc.GetLabels()[LabelPromiseVersion]
	return ReleasedPromise{Name: doc.GetName(), Version: version, HasVersion: ok}, nil
}
