package emulator

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var storeKinds = map[string]schema.GroupVersionResource{
	"GitStateStore":    gvrGitStateStore,
	"BucketStateStore": gvrBucketStateStore,
}

// secretRefOf returns a store's secretRef; the namespace defaults to
// "default", as Kratix reads it.
func secretRefOf(store *unstructured.Unstructured) (name, namespace string) {
	name = nestedString(store.Object, "spec", "secretRef", "name")
	namespace = nestedString(store.Object, "spec", "secretRef", "namespace")
	if namespace == "" {
		namespace = "default"
	}
	return name, namespace
}

// requiredSecretKeys are the Secret keys an auth method reads (§7.1, §7.2).
func requiredSecretKeys(kind, authMethod string) []string {
	switch {
	case kind == "GitStateStore" && authMethod == "ssh":
		return []string{"sshPrivateKey", "knownHosts"}
	case kind == "GitStateStore" && authMethod == "githubApp":
		return []string{"appID", "installationID", "privateKey"}
	case kind == "GitStateStore":
		return []string{"username", "password"}
	case authMethod == "IAM":
		return nil
	default:
		return []string{"accessKeyID", "secretAccessKey"}
	}
}

// syncStateStore checks what a state store can check without a real git
// server or bucket: that its Secret exists and has the keys its auth
// method needs (§7).
func (e *Emulator) syncStateStore(ctx context.Context, key string) (time.Duration, error) {
	kind, name, _ := strings.Cut(key, "/")
	gvr, ok := storeKinds[kind]
	if !ok {
		return 0, nil
	}
	r := ref{gvr: gvr, name: name}
	store, err := e.get(ctx, r)
	if err != nil || store == nil {
		return 0, err
	}
	c, err := e.storeReadiness(ctx, kind, store)
	if err != nil {
		return 0, err
	}
	_, err = e.mutateStatus(ctx, r, func(obj *unstructured.Unstructured) error {
		status := statusOf(obj)
		status["status"] = "NotReady"
		if c.Status == "True" {
			status["status"] = "Ready"
		}
		status["observedGeneration"] = obj.GetGeneration()
		setCondition(status, c, onStatusChange)
		return nil
	})
	return 0, err
}

func (e *Emulator) storeReadiness(ctx context.Context, kind string, store *unstructured.Unstructured) (condition, error) {
	ready := condition{Type: condReady, Status: "True", Reason: "StateStoreReady", Message: "State store is ready"}
	secretName, ns := secretRefOf(store)
	if secretName == "" {
		return ready, nil
	}
	secret, err := e.kube.CoreV1().Secrets(ns).Get(ctx, secretName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return condition{Type: condReady, Status: "False", Reason: "SecretNotFound",
			Message: fmt.Sprintf("Secret not found: secret %q not found in namespace %q", secretName, ns)}, nil
	}
	if err != nil {
		return condition{}, err
	}
	authMethod := nestedString(store.Object, "spec", "authMethod")
	var missing []string
	for _, k := range requiredSecretKeys(kind, authMethod) {
		if len(secret.Data[k]) == 0 && secret.StringData[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return condition{Type: condReady, Status: "False", Reason: "ErrorValidatingPermissions",
			Message: fmt.Sprintf("Error validating state store permissions: secret %s/%s is missing key(s) %s",
				ns, secretName, strings.Join(missing, ", "))}, nil
	}
	return ready, nil
}

// syncDestination: Ready follows the state store (§6); cleanup: all adds
// kratix.io/destination-cleanup, which removes the Destination's
// WorkPlacements on delete.
func (e *Emulator) syncDestination(ctx context.Context, name string) (time.Duration, error) {
	r := ref{gvr: gvrDestination, name: name}
	dest, err := e.get(ctx, r)
	if err != nil || dest == nil {
		return 0, err
	}
	if dest.GetDeletionTimestamp() != nil {
		return e.deleteDestination(ctx, dest)
	}
	cleanupAll := nestedString(dest.Object, "spec", "cleanup") == "all"
	if dest, err = e.mutateObject(ctx, r, func(obj *unstructured.Unstructured) error {
		if cleanupAll {
			addFinalizers(obj, finalizerDestinationCleanup)
		} else {
			removeFinalizer(obj, finalizerDestinationCleanup)
		}
		return nil
	}); err != nil || dest == nil {
		return 0, err
	}
	if wait := e.reconcileDelay(dest); wait > 0 {
		return wait, nil
	}
	c, err := e.destinationReadiness(ctx, dest)
	if err != nil {
		return 0, err
	}
	var again time.Duration
	if left := e.pushRaceLeft(dest); left > 0 && c.Status == "True" {
		c, again = lostPushRace, left
	}
	e.recordDestinationReconcile(ctx, dest, c)
	_, err = e.mutateStatus(ctx, r, func(obj *unstructured.Unstructured) error {
		setCondition(statusOf(obj), c, onStatusChange)
		return nil
	})
	return again, err
}

// LabelLosePushRace on a Destination (a Go duration) makes the emulator
// report, for that long after each generation of the Destination appears,
// what Kratix reports when Git rejected its push of the test documents
// because another write to the same branch came first (lostPushRace),
// and then reconcile it as usual, as Kratix does on its next reconcile.
// A real Kratix loses that race now and then, when a state store's check
// or a WorkPlacement writes to the same repository at the same moment.
const LabelLosePushRace = "emulator.kratix.io/lose-push-race"

// lostPushRace is the condition Kratix 2025-09 (go-git) wrote for a
// Destination whose test documents lost a push race.
var lostPushRace = condition{Type: condReady, Status: "False", Reason: "StateStoreWriteFailed",
	Message: "Failed to write test documents to State Store: non-fast-forward update: refs/heads/main"}

// pushRaceLeft is how much longer this generation of dest loses its push
// race (LabelLosePushRace); 0 when it no longer does.
func (e *Emulator) pushRaceLeft(dest *unstructured.Unstructured) time.Duration {
	return timeLeft(&e.pushRaces, dest, LabelLosePushRace, fmt.Sprintf("%s/%d", dest.GetUID(), dest.GetGeneration()))
}

// timeLeft is how much of the duration in obj's label is left since the
// emulator first asked for key (kept in m); 0 without a valid label.
func timeLeft(m *sync.Map, obj *unstructured.Unstructured, label, key string) time.Duration {
	d, err := time.ParseDuration(obj.GetLabels()[label])
	if err != nil || d <= 0 {
		return 0
	}
	stored, _ := m.LoadOrStore(key, time.Now().Add(d))
	until, _ := stored.(time.Time)
	return time.Until(until)
}

// LabelReconcileDelay on a Destination makes the emulator take that long
// (a Go duration) to reconcile each of its versions, as a real Kratix does
// while it writes to a slow state store.
const LabelReconcileDelay = "emulator.kratix.io/reconcile-delay"

// reconcileDelay is how much longer the emulator waits before it
// reconciles this version of dest (LabelReconcileDelay); 0 when done.
func (e *Emulator) reconcileDelay(dest *unstructured.Unstructured) time.Duration {
	return timeLeft(&e.reconcileDelays, dest, LabelReconcileDelay, string(dest.GetUID())+"/"+dest.GetResourceVersion())
}

// recordDestinationReconcile records the Event Kratix of 2026 records on
// every reconcile of a Destination, before it writes the Ready condition
// (destination_controller.go, logAndRecordEvent): about the version it
// read, with the verdict as its reason. One Event per version.
func (e *Emulator) recordDestinationReconcile(ctx context.Context, dest *unstructured.Unstructured, c condition) {
	key := string(dest.GetUID()) + "/" + dest.GetResourceVersion()
	if _, seen := e.reconcileEvents.LoadOrStore(key, true); seen {
		return
	}
	reason, kind, note := "DestinationReady", corev1.EventTypeNormal, "Destination is Ready"
	if c.Status != "True" {
		reason, kind, note = "DestinationNotReady", corev1.EventTypeWarning, c.Reason+": "+c.Message
	}
	now := metav1.NewTime(time.Now())
	event := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: dest.GetName() + ".", Namespace: metav1.NamespaceDefault},
		InvolvedObject: corev1.ObjectReference{
			APIVersion: dest.GetAPIVersion(), Kind: dest.GetKind(), Name: dest.GetName(),
			UID: dest.GetUID(), ResourceVersion: dest.GetResourceVersion(),
		},
		Reason: reason, Message: note, Type: kind, Action: reason,
		ReportingController: "DestinationController", ReportingInstance: "kratix-emulator",
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		Source: corev1.EventSource{Component: "DestinationController"},
	}
	if _, err := e.kube.CoreV1().Events(metav1.NamespaceDefault).Create(ctx, event, metav1.CreateOptions{}); err != nil {
		e.opts.Logf("recording the reconcile of Destination %s: %v", dest.GetName(), err)
	}
}

func (e *Emulator) destinationReadiness(ctx context.Context, dest *unstructured.Unstructured) (condition, error) {
	kind := nestedString(dest.Object, "spec", "stateStoreRef", "kind")
	storeName := nestedString(dest.Object, "spec", "stateStoreRef", "name")
	notReady := condition{Type: condReady, Status: "False"}
	gvr, ok := storeKinds[kind]
	if !ok {
		notReady.Reason, notReady.Message = "StateStoreNotFound", fmt.Sprintf("%s/%s: not found", kind, storeName)
		return notReady, nil
	}
	store, err := e.get(ctx, ref{gvr: gvr, name: storeName})
	if err != nil {
		return condition{}, err
	}
	if store == nil {
		notReady.Reason, notReady.Message = "StateStoreNotFound", fmt.Sprintf("%s/%s: not found", kind, storeName)
		return notReady, nil
	}
	status, _ := store.Object["status"].(map[string]any)
	if status["status"] != "Ready" || !conditionIs(status, condReady, "True") {
		notReady.Reason, notReady.Message = "StateStoreNotReady", "State Store not ready"
		return notReady, nil
	}
	if enabled, found, _ := unstructured.NestedBool(dest.Object, "spec", "initWorkloads", "enabled"); found && !enabled {
		return condition{Type: condReady, Status: "True", Reason: "DestinationReady", Message: "Destination is ready"}, nil
	}
	return condition{Type: condReady, Status: "True", Reason: "TestDocumentsWritten", Message: "Test documents written to State Store"}, nil
}

// deleteDestination removes the WorkPlacements targeting the Destination,
// then its finalizer.
func (e *Emulator) deleteDestination(ctx context.Context, dest *unstructured.Unstructured) (time.Duration, error) {
	if !hasFinalizer(dest, finalizerDestinationCleanup) {
		return 0, nil
	}
	left, err := e.deleteAll(ctx, gvrWorkPlacement, "", labels.SelectorFromSet(map[string]string{labelTargetDestination: dest.GetName()}).String())
	if err != nil || left > 0 {
		return pollWhileDeleting, err
	}
	return 0, e.dropFinalizer(ctx, refOf(gvrDestination, dest), finalizerDestinationCleanup)
}
