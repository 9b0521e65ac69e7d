// Package kratix holds Kratix semantics with no Terraform or client-go
// transport in it: kinds, names, labels, and readers over unstructured
// objects that say whether a Promise, request, Destination or state store is
// ready, failed or still working. The rules follow the Kratix source as
// summarised in kratix-api.md.
package kratix

import "k8s.io/apimachinery/pkg/runtime/schema"

// Group and Version of every Kratix-owned kind.
const (
	Group   = "platform.kratix.io"
	Version = "v1alpha1"
)

// Kratix kinds the provider reads or writes.
var (
	PromiseGVK          = gvk("Promise")
	DestinationGVK      = gvk("Destination")
	GitStateStoreGVK    = gvk("GitStateStore")
	BucketStateStoreGVK = gvk("BucketStateStore")
	WorkGVK             = gvk("Work")
	WorkPlacementGVK    = gvk("WorkPlacement")
	// PromiseRevisionGVK is served by Kratix releases of 2026 on.
	PromiseRevisionGVK = gvk("PromiseRevision")
	// PromiseReleaseGVK installs a Promise fetched from a URL.
	PromiseReleaseGVK = gvk("PromiseRelease")
)

// CRDGVK is the kind Kratix installs a Promise's API as.
var CRDGVK = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// JobGVK is the kind each pipeline runs as.
var JobGVK = schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}

// EventGVK is the core Events API, which lists the Events of both events
// APIs (core/v1 and events.k8s.io/v1).
var EventGVK = schema.GroupVersionKind{Version: "v1", Kind: "Event"}

// PodGVK is the kind a pipeline Job's attempts run as.
var PodGVK = schema.GroupVersionKind{Version: "v1", Kind: "Pod"}

func gvk(kind string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: Group, Version: Version, Kind: kind}
}
