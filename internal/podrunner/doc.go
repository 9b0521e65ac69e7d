// Package podrunner plays the kubelet on the local platform in real-Kratix
// mode (package platform, ModeReal). The platform has an API server, a
// kube-controller-manager with the Job controller, and Kratix's own
// controller manager, but no kubelet and no container runtime, so nothing
// would ever run the pods of Kratix's pipeline Jobs. The runner watches those
// pods (label app.kubernetes.io/managed-by=Kratix) and, for each one:
//
//   - materialises its volumes in a directory of its own: emptyDir,
//     ConfigMap, Secret, and projected volumes (the service-account token
//     from the TokenRequest API bound to the pod, so the pipeline acts with
//     the RBAC Kratix gave it, kube-root-ca.crt and the namespace);
//   - resolves each container's env and envFrom as the kubelet would, and
//     adds KUBERNETES_SERVICE_HOST/PORT pointing at the API server;
//   - runs the containers in order, init containers first, and stops at the
//     first failure;
//   - reports container states, exit codes and termination messages and the
//     pod phase in the pod's status, so the Job controller and Kratix see a
//     real outcome.
//
// # Pipeline adapter containers run for real
//
// A container whose image is the manager's PIPELINE_ADAPTER_IMG (reader,
// work-writer, status-writer) runs the pipeline-adapter binary built from the
// pinned Kratix module, with its own command, args and env. Since that code
// uses fixed paths (/kratix/input, /work-creator-files,
// /var/run/secrets/kubernetes.io/serviceaccount), each such container runs in
// a private mount namespace (`unshare -m`) whose root is a fresh tmpfs that
// holds only the binary at /bin/pipeline-adapter, /tmp, and the container's
// volume mounts bind-mounted at their mount paths (`chroot`). Nothing is
// mounted outside that namespace, so no mount point is left on the shared
// filesystem when the process ends. This needs Linux, root (CAP_SYS_ADMIN)
// and util-linux's unshare, mount and chroot; the adapter is built with
// CGO_ENABLED=0 so that it needs no libraries in that root.
//
// # The Promise's own images are stood in for
//
// The Promise's containers name images that cannot be pulled here. The
// runner stands in for them with the directive contract of package emulator
// (see its documentation): the stand-in writes exactly what such an image
// would, and Kratix's own adapter does the rest.
//
//   - KRATIX_EMULATOR_STATUS: merged into /kratix/metadata/status.yaml
//     (top-level keys overwrite, conditions merge by type).
//   - KRATIX_EMULATOR_FAIL: the container exits 1 with this termination
//     message; later containers never run and the pod fails.
//   - KRATIX_EMULATOR_DURATION: the container runs this long.
//   - KRATIX_EMULATOR_SUSPEND: writes /kratix/metadata/workflow-control.yaml
//     with suspend: true and the message. (The Kratix version the proxy
//     serves predates workflow-control and ignores the file.)
//
// Only the directives' valueFrom references are resolved for a stand-in,
// and a volume only stand-ins mount is left empty when it cannot be
// materialised, as in the emulator (a Promise's pipeline may reference a
// Secret, such as an API token or cloud credentials, that no test creates);
// a missing required directive reference fails the container instead of
// holding it.
//
// A configure container also writes one ConfigMap describing the run to
// /kratix/output/<container>-configmap.yaml, so that the work-writer
// schedules a Work, as a marketplace Promise's image writes its manifests.
//
// # Where it differs from a kubelet
//
// Pods are not bound to a node, and no probes, resources, security contexts,
// image pulls or container restarts happen. A pod still waits StartDelay
// (DefaultStartDelay, 2 s) before its first container runs, as a kubelet
// takes that long at least to create the sandbox and pull the images:
// Kratix 2026 writes status.message "Pending" only a second after it
// creates a pipeline's Job, and a pod that finished before that write
// would leave the message empty (see DefaultStartDelay). No other wait is
// modelled: a failed container fails the pod at once (phase Failed), which
// the Job controller counts against the Job's backoffLimit as it would
// count a restart under restartPolicy OnFailure. Container output goes to
// files under the runner's work directory, not to the pods/log API; an
// adapter container that fails gets the tail of its output as termination
// message (as with terminationMessagePolicy FallbackToLogsOnError).
package podrunner
