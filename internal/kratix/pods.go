package kratix

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// ContainerFailure is why a pipeline Job failed, as its failed Pod tells:
// a Job that failed says only that its backoff limit was reached, and the
// pipeline's own message is the failing container's termination message
// (what it wrote to /dev/termination-log, or the tail of its output).
type ContainerFailure struct {
	Pod       string
	Container string
	ExitCode  int64
	Reason    string // Error, OOMKilled, ...
	Message   string
}

// maxTerminationMessage bounds the message quoted in a diagnostic. The
// kubelet keeps up to 4 KiB; the end says most about what went wrong.
const maxTerminationMessage = 1024

// String describes the failure in one line or a few.
func (f ContainerFailure) String() string {
	text := fmt.Sprintf("container %q exited %d", f.Container, f.ExitCode)
	if f.Reason != "" && f.Reason != "Error" {
		text += " (" + f.Reason + ")"
	}
	message := strings.TrimSpace(f.Message)
	if len(message) > maxTerminationMessage {
		message = "..." + message[len(message)-maxTerminationMessage:]
	}
	if message != "" {
		text += ": " + message
	}
	return text
}

// JobPodSelector is the label selector of a Job's Pods: the selector the
// Job controller gave it (its controller-uid, so a Job re-created with the
// same name is not mixed up with the old one), or the job-name label.
func JobPodSelector(job *unstructured.Unstructured) string {
	matchLabels, _, _ := unstructured.NestedStringMap(job.Object, "spec", "selector", "matchLabels")
	if len(matchLabels) == 0 {
		matchLabels = map[string]string{"job-name": job.GetName()}
	}
	return labels.SelectorFromSet(matchLabels).String()
}

// FailedContainer finds, in the newest failed Pod of a Job, the first
// container (init containers first, as they run) that exited non-zero.
func FailedContainer(pods []unstructured.Unstructured) (ContainerFailure, bool) {
	sorted := append([]unstructured.Unstructured(nil), pods...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return sorted[j].GetCreationTimestamp().Time.Before(sorted[i].GetCreationTimestamp().Time)
	})
	for i := range sorted {
		for _, field := range []string{"initContainerStatuses", "containerStatuses"} {
			statuses, _, _ := unstructured.NestedSlice(sorted[i].Object, "status", field)
			for _, raw := range statuses {
				if f, ok := terminatedWithError(raw); ok {
					f.Pod = sorted[i].GetName()
					return f, true
				}
			}
		}
	}
	return ContainerFailure{}, false
}

func terminatedWithError(raw any) (ContainerFailure, bool) {
	status, _ := raw.(map[string]any)
	terminated, found, _ := unstructured.NestedMap(status, "state", "terminated")
	if !found {
		// A container restarted in place keeps its failure here.
		terminated, found, _ = unstructured.NestedMap(status, "lastState", "terminated")
	}
	code, _, _ := unstructured.NestedInt64(terminated, "exitCode")
	if !found || code == 0 {
		return ContainerFailure{}, false
	}
	name, _, _ := unstructured.NestedString(status, "name")
	reason, _, _ := unstructured.NestedString(terminated, "reason")
	message, _, _ := unstructured.NestedString(terminated, "message")
	return ContainerFailure{Container: name, ExitCode: code, Reason: reason, Message: message}, true
}
