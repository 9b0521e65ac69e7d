package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// PromiseRelease (kratix-api.md §9): the release controller of Kratix,
// step for step: the promise-cleanup finalizer first; nothing to do when
// the release's Promise is already at spec.version; otherwise an HTTP GET
// of spec.sourceRef.url (Authorization from the Secret key
// authorizationHeader), the version checks, and a create-or-update of the
// Promise owned by the release. Kratix's admission webhook, which also
// fetches on create, is not emulated: its failures show up here as the
// controller's conditions instead.
const (
	finalizerPromiseCleanup = "kratix.io/promise-cleanup"

	releaseStatusInstalled = "Installed"
	releaseStatusError     = "Error installing"
	releaseInstalledMsg    = "Installed successfully"
)

func (e *Emulator) syncRelease(ctx context.Context, name string) (time.Duration, error) {
	r := ref{gvr: gvrPromiseRelease, name: name}
	release, err := e.get(ctx, r)
	if err != nil || release == nil {
		return 0, err
	}
	if release.GetDeletionTimestamp() != nil {
		return e.deleteRelease(ctx, release)
	}
	if !hasFinalizer(release, finalizerPromiseCleanup) {
		_, err := e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
			addFinalizers(obj, finalizerPromiseCleanup)
			return nil
		})
		return 0, err
	}
	version := nestedString(release.Object, "spec", "version")
	promises, err := e.releasePromises(ctx, name)
	if err != nil {
		return 0, err
	}
	switch {
	case len(promises) > 1:
		return 0, fmt.Errorf("expected 0 or 1 promises, got %d", len(promises))
	case len(promises) == 1 && promises[0].GetLabels()[labelPromiseVersion] == version:
		return 0, e.releaseStatus(ctx, r, releaseStatusInstalled, releaseInstalledMsg, "InstalledSuccessfully")
	}
	authHeader, err := e.releaseAuthorization(ctx, release)
	if err != nil {
		return 0, fmt.Errorf("failed to fetch data from secretRef: %w", err)
	}
	url := nestedString(release.Object, "spec", "sourceRef", "url")
	promise, err := fetchPromise(ctx, url, authHeader)
	if err != nil {
		return 0, errors.Join(fmt.Errorf("failed to fetch promise from url: %w", err),
			e.releaseStatus(ctx, r, releaseStatusError, "Failed to fetch Promise from URL", "FailedToFetchPromise"))
	}
	fetched, found := promise.GetLabels()[labelPromiseVersion]
	switch {
	case !found:
		return 0, errors.Join(errors.New("version label not found on promise; refusing to install"),
			e.releaseStatus(ctx, r, releaseStatusError, "Version label not found on Promise", "VersionLabelNotFound"))
	case version == "":
		_, err := e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
			return unstructured.SetNestedField(obj.Object, fetched, "spec", "version")
		})
		return 0, err
	case fetched != version:
		msg := fmt.Sprintf("Version labels do not match, found: %s, expected: %s", fetched, version)
		return 0, errors.Join(errors.New("version label mismatch; refusing to install"),
			e.releaseStatus(ctx, r, releaseStatusError, msg, "VersionNotMatching"))
	}
	if err := e.installReleasedPromise(ctx, release, promise); err != nil {
		return 0, errors.Join(fmt.Errorf("failed to create or update promise: %w", err),
			e.releaseStatus(ctx, r, releaseStatusError, "Failed to create or update Promise", "FailedToCreateOrUpdatePromise"))
	}
	return 0, e.releaseStatus(ctx, r, releaseStatusInstalled, releaseInstalledMsg, "InstalledSuccessfully")
}

// releasePromises are the Promises labelled with the release's name.
func (e *Emulator) releasePromises(ctx context.Context, release string) ([]unstructured.Unstructured, error) {
	list, err := e.dyn.Resource(gvrPromise).List(ctx, metav1.ListOptions{LabelSelector: labelPromiseReleaseName + "=" + release})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

// releaseStatus writes status.status and the Installed condition, unless
// the condition already has that reason and message (Kratix writes nothing
// then).
func (e *Emulator) releaseStatus(ctx context.Context, r ref, status, message, reason string) error {
	_, err := e.mutateStatus(ctx, r, func(obj *unstructured.Unstructured) error {
		st := statusOf(obj)
		if c, ok := findCondition(st, "Installed"); ok && c["message"] == message && c["reason"] == reason {
			return nil
		}
		st["status"] = status
		condStatus := "False"
		if message == releaseInstalledMsg {
			condStatus = "True"
		}
		setCondition(st, condition{Type: "Installed", Status: condStatus, Reason: reason, Message: message}, onStatusChange)
		return nil
	})
	return err
}

// releaseAuthorization reads the Authorization header from the release's
// Secret; the namespace is the release's (none: it is cluster-scoped)
// unless the secretRef names one.
func (e *Emulator) releaseAuthorization(ctx context.Context, release *unstructured.Unstructured) (string, error) {
	ref := nestedMap(release.Object, "spec", "sourceRef", "secretRef")
	if ref == nil {
		return "", nil
	}
	name, _ := ref["name"].(string)
	namespace, _ := ref["namespace"].(string)
	if namespace == "" {
		namespace = release.GetNamespace()
	}
	secret, err := e.kube.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return string(secret.Data["authorizationHeader"]), nil
}

// fetchPromise GETs one Promise document, as Kratix's URL fetcher does:
// 10 seconds at most, status 200, exactly one object of kind Promise.
func fetchPromise(ctx context.Context, url, authHeader string) (*unstructured.Unstructured, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if authHeader != "" {
		req.Header.Set("Authorization", authHeader)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to get url: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("failed to get Promise from URL: status code %d", resp.StatusCode)
	}
	decoder := yaml.NewYAMLOrJSONDecoder(resp.Body, 2048)
	promise := &unstructured.Unstructured{}
	if err := decoder.Decode(&promise.Object); err != nil {
		return nil, fmt.Errorf("failed to unmarshal into Kubernetes object: %w", err)
	}
	if promise.GetKind() != "Promise" {
		return nil, fmt.Errorf("expected single Promise object but found object of kind: %s", promise.GetKind())
	}
	var another map[string]any
	if err := decoder.Decode(&another); !errors.Is(err, io.EOF) {
		return nil, errors.New("expected single document yaml, but found multiple documents")
	}
	return promise, nil
}

// installReleasedPromise creates or updates the Promise: the fetched spec
// replaces the existing one, the fetched labels and annotations are merged
// over the existing ones, with the release-name label and a controller
// ownerRef to the release (refused when another object controls it).
func (e *Emulator) installReleasedPromise(ctx context.Context, release, fetched *unstructured.Unstructured) error {
	name := fetched.GetName()
	client := e.dyn.Resource(gvrPromise)
	existing, err := client.Get(ctx, name, metav1.GetOptions{})
	creating := apierrors.IsNotFound(err)
	if err != nil && !creating {
		return err
	}
	if creating {
		existing = &unstructured.Unstructured{}
		existing.SetAPIVersion(kratixGroup + "/" + kratixVersion)
		existing.SetKind("Promise")
		existing.SetName(name)
	}
	existing.Object["spec"] = fetched.Object["spec"]
	labels := existing.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range fetched.GetLabels() {
		labels[k] = v
	}
	labels[labelPromiseReleaseName] = release.GetName()
	existing.SetLabels(labels)
	annotations := existing.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	for k, v := range fetched.GetAnnotations() {
		annotations[k] = v
	}
	if len(annotations) > 0 {
		existing.SetAnnotations(annotations)
	}
	owner := metav1.OwnerReference{APIVersion: release.GetAPIVersion(), Kind: release.GetKind(), Name: release.GetName(),
		UID: release.GetUID(), Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true)}
	refs := existing.GetOwnerReferences()
	found := false
	for i, o := range refs {
		if o.Controller != nil && *o.Controller && o.UID != release.GetUID() {
			return fmt.Errorf("promise %s is already owned by another %s controller %s", name, o.Kind, o.Name)
		}
		if o.UID == release.GetUID() {
			refs[i], found = owner, true
		}
	}
	if !found {
		refs = append(refs, owner)
	}
	existing.SetOwnerReferences(refs)
	if creating {
		_, err = client.Create(ctx, existing, metav1.CreateOptions{})
	} else {
		_, err = client.Update(ctx, existing, metav1.UpdateOptions{})
	}
	return err
}

// deleteRelease deletes the release's Promises and removes the finalizer
// once none is left; Kratix looks again after its default requeue.
func (e *Emulator) deleteRelease(ctx context.Context, release *unstructured.Unstructured) (time.Duration, error) {
	if !hasFinalizer(release, finalizerPromiseCleanup) {
		return 0, nil
	}
	left, err := e.deleteAll(ctx, gvrPromise, "", labelPromiseReleaseName+"="+release.GetName())
	if err != nil {
		return 0, err
	}
	if left == 0 {
		return 0, e.dropFinalizer(ctx, refOf(gvrPromiseRelease, release), finalizerPromiseCleanup)
	}
	return time.Second, nil
}
