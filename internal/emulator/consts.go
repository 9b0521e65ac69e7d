package emulator

import "k8s.io/apimachinery/pkg/runtime/schema"

// The emulator keeps its own copy of every name it writes instead of sharing
// the provider's: it stands in for Kratix, so its vocabulary comes from
// kratix-api.md, not from the code under test.

const (
	kratixGroup   = "platform.kratix.io"
	kratixVersion = "v1alpha1"
	// platformNamespace is where Promise workflows and Works live by default.
	platformNamespace = "kratix-platform-system"
)

func kratixGVR(resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: kratixGroup, Version: kratixVersion, Resource: resource}
}

var (
	gvrPromise          = kratixGVR("promises")
	gvrDestination      = kratixGVR("destinations")
	gvrGitStateStore    = kratixGVR("gitstatestores")
	gvrBucketStateStore = kratixGVR("bucketstatestores")
	gvrWork             = kratixGVR("works")
	gvrWorkPlacement    = kratixGVR("workplacements")
	gvrPromiseRevision  = kratixGVR("promiserevisions")
	gvrResourceBinding  = kratixGVR("resourcebindings")
	gvrPromiseRelease   = kratixGVR("promisereleases")
	gvrCRD              = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// Labels (kratix-api.md §2, §8, §10).
const (
	labelPromiseName          = "kratix.io/promise-name"
	labelPromiseVersion       = "kratix.io/promise-version"
	labelResourceName         = "kratix.io/resource-name"
	labelResourceNamespace    = "kratix.io/resource-namespace"
	labelWorkflowType         = "kratix.io/workflow-type"
	labelWorkflowAction       = "kratix.io/workflow-action"
	labelPipelineName         = "kratix.io/pipeline-name"
	labelHash                 = "kratix.io/hash"
	labelManagedBy            = "app.kubernetes.io/managed-by"
	labelManualReconciliation = "kratix.io/manual-reconciliation"
	labelReconcileResources   = "kratix.io/reconcile-resources"
	labelPaused               = "kratix.io/paused"
	labelWorkflowSuspended    = "kratix.io/workflow-suspended"
	labelRunFromStart         = "internal.workflows.kratix.io/run-from-start"
	labelLatestRevision       = "kratix.io/latest-revision"
	labelWorkType             = "kratix.io/work-type"
	labelWork                 = "kratix.io/work"
	labelTargetDestination    = "kratix.io/targetDestinationName"
	labelWorkloadGroupID      = "kratix.io/workload-group-id"
	labelPromiseReleaseName   = "kratix.io/promise-release-name"
	managedByKratix           = "Kratix"
)

// Annotations Kratix writes on Jobs and static-dependency Works.
const (
	annotationJobResourceNamespace  = "kratix.io/job-resource-namespace"
	annotationJobResourceName       = "kratix.io/job-resource-name"
	annotationJobResourceKind       = "kratix.io/job-resource-kind"
	annotationJobResourceAPIVersion = "kratix.io/job-resource-api-version"
	annotationLastUpdatedAt         = "kratix.io/last-updated-at"
)

// Annotations only the emulator reads. They carry what a real cluster would
// keep in pods and container logs, which this platform does not have.
const (
	// annotationCreatedAt orders Jobs: creationTimestamp has one-second
	// precision and several 100ms pipelines start within one second.
	annotationCreatedAt = "emulator.kratix.io/created-at"
	// annotationSuspendedRun marks a delete Job whose pipeline asked to be
	// suspended (workflow-control), so the delete flow knows to re-run it.
	annotationSuspendedRun = "emulator.kratix.io/suspended"
	// annotationAPIHash records which spec.api a generated CRD was built
	// from, so that the emulator updates it only when the API changes.
	annotationAPIHash = "emulator.kratix.io/api-hash"
)

// Workflow types and actions.
const (
	workflowPromise   = "promise"
	workflowResource  = "resource"
	actionConfigure   = "configure"
	actionDelete      = "delete"
	workTypeStaticDep = "static-dependency"
)

// Finalizers (kratix-api.md §2).
const (
	finalizerWorkflowsCleanup         = "kratix.io/workflows-cleanup"
	finalizerDependenciesCleanup      = "kratix.io/dependencies-cleanup"
	finalizerRevisionCleanup          = "kratix.io/revision-cleanup"
	finalizerResourceRequestCleanup   = "kratix.io/resource-request-cleanup"
	finalizerDynamicControllerCleanup = "kratix.io/dynamic-controller-dependant-resources-cleanup"
	finalizerAPICRDCleanup            = "kratix.io/api-crd-cleanup"
	finalizerDeleteWorkflows          = "kratix.io/delete-workflows"
	finalizerWorkCleanup              = "kratix.io/work-cleanup"
	finalizerResourceBindingCleanup   = "kratix.io/resource-binding-cleanup"
	finalizerDestinationCleanup       = "kratix.io/destination-cleanup"
	finalizerWPRepoCleanup            = "finalizers.workplacement.kratix.io/repo-cleanup"
	finalizerWPDotFilesCleanup        = "finalizers.workplacement.kratix.io/kratix-dot-files-cleanup"
)

// Condition types.
const (
	condAvailable                  = "Available"
	condRequirementsFulfilled      = "RequirementsFulfilled"
	condConfigureWorkflowCompleted = "ConfigureWorkflowCompleted"
	condWorksSucceeded             = "WorksSucceeded"
	condReconciled                 = "Reconciled"
	condDeleteWorkflowCompleted    = "DeleteWorkflowCompleted"
	condPromiseAvailable           = "PromiseAvailable"
	condReady                      = "Ready"
	condScheduleSucceeded          = "ScheduleSucceeded"
	condWriteSucceeded             = "WriteSucceeded"
)

// Pipeline phases in status.kratix.workflows.pipelines[].
const (
	phasePending   = "Pending"
	phaseRunning   = "Running"
	phaseSucceeded = "Succeeded"
	phaseFailed    = "Failed"
	phaseSuspended = "Suspended"
)

// Messages Kratix writes verbatim.
const (
	msgPending             = "Pending"
	msgResourceRequested   = "Resource requested"
	msgPromiseConfigured   = "Promise configured"
	msgPipelinesCompleted  = "Pipelines completed"
	msgPipelinesInProgress = "Pipelines are still in progress"
	msgDeleteFailed        = "The Delete Pipeline has failed"
	msgDeleteSuspended     = "The delete workflow is suspended"
	statusAvailable        = "Available"
	statusUnavailable      = "Unavailable"
	versionNotSet          = "not-set"
	bindingVersionLatest   = "latest"
)
