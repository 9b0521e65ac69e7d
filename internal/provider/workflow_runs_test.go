package provider

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

func TestDescribeFailedRun(t *testing.T) {
	run := kratix.WorkflowRun{Pipeline: "configure", Namespace: "default", Job: "kratix-db-x-configure-1", Message: "Job has reached the specified backoff limit"}
	failedPod := unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"containerStatuses": []any{
		map[string]any{"name": "main", "state": map[string]any{"terminated": map[string]any{"exitCode": int64(1), "reason": "Error", "message": "quota exceeded"}}},
	}}}}

	got := describeFailedRun(run, &unstructured.UnstructuredList{Items: []unstructured.Unstructured{failedPod}}, nil)
	if want := `Pipeline "configure" (Job default/kratix-db-x-configure-1) failed: container "main" exited 1: quota exceeded`; !strings.HasPrefix(got, want) {
		t.Errorf("with the failed Pod:\n got %q\nwant it to start with %q", got, want)
	}

	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", nil)
	got = describeFailedRun(run, nil, forbidden)
	for _, want := range []string{"backoff limit", "may not list Pods in namespace default", "get and list on pods", "kubectl logs -n default job/kratix-db-x-configure-1"} {
		if !strings.Contains(got, want) {
			t.Errorf("without access to Pods: %q does not say %q", got, want)
		}
	}

	// The emulator, and a cluster whose Pods are gone: the Job's message.
	got = describeFailedRun(kratix.WorkflowRun{Pipeline: "configure", Namespace: "default", Job: "j", Message: "quota exceeded"}, &unstructured.UnstructuredList{}, nil)
	if !strings.Contains(got, `failed: quota exceeded`) || strings.Contains(got, "may not") {
		t.Errorf("without Pods: got %q", got)
	}
}
