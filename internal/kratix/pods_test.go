package kratix

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func pod(name string, created time.Time, status map[string]any) unstructured.Unstructured {
	p := unstructured.Unstructured{Object: map[string]any{"status": status}}
	p.SetName(name)
	p.SetCreationTimestamp(metav1.NewTime(created))
	return p
}

func terminated(name string, code int64, reason, message string) map[string]any {
	return map[string]any{"name": name, "state": map[string]any{"terminated": map[string]any{
		"exitCode": code, "reason": reason, "message": message,
	}}}
}

func TestFailedContainer(t *testing.T) {
	now := time.Now()
	older := pod("job-old", now.Add(-time.Minute), map[string]any{
		"containerStatuses": []any{terminated("main", 2, "Error", "an earlier attempt")},
	})
	newer := pod("job-new", now, map[string]any{
		"initContainerStatuses": []any{terminated("reader", 0, "Completed", "")},
		"containerStatuses": []any{
			terminated("main", 1, "Error", "quota exceeded\n"),
			map[string]any{"name": "status-writer", "state": map[string]any{"waiting": map[string]any{"reason": "PodInitializing"}}},
		},
	})
	f, ok := FailedContainer([]unstructured.Unstructured{older, newer})
	if !ok {
		t.Fatal("no failure found")
	}
	if f.Pod != "job-new" || f.Container != "main" || f.ExitCode != 1 {
		t.Errorf("got %+v, want container main of the newest pod, exit 1", f)
	}
	if got, want := f.String(), `container "main" exited 1: quota exceeded`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}

	init := pod("job-init", now, map[string]any{
		"initContainerStatuses": []any{terminated("reader", 137, "OOMKilled", "")},
		"containerStatuses":     []any{terminated("main", 1, "Error", "never ran")},
	})
	f, _ = FailedContainer([]unstructured.Unstructured{init})
	if got, want := f.String(), `container "reader" exited 137 (OOMKilled)`; got != want {
		t.Errorf("an init container's failure: got %q, want %q", got, want)
	}

	if _, ok := FailedContainer([]unstructured.Unstructured{pod("ok", now, map[string]any{
		"containerStatuses": []any{terminated("main", 0, "Completed", "")},
	})}); ok {
		t.Error("a pod whose containers succeeded reported a failure")
	}
}

func TestContainerFailureBoundsTheMessage(t *testing.T) {
	long := strings.Repeat("x", 5000) + " the end"
	got := ContainerFailure{Container: "main", ExitCode: 1, Message: long}.String()
	if len(got) > maxTerminationMessage+100 || !strings.HasSuffix(got, " the end") || !strings.Contains(got, ": ...x") {
		t.Errorf("a long message should keep its end, bounded: got %d characters ending %q", len(got), got[len(got)-20:])
	}
}

func TestJobPodSelector(t *testing.T) {
	job := &unstructured.Unstructured{Object: map[string]any{}}
	job.SetName("kratix-db-configure-abc")
	if got, want := JobPodSelector(job), "job-name=kratix-db-configure-abc"; got != want {
		t.Errorf("without a selector: got %q, want %q", got, want)
	}
	_ = unstructured.SetNestedStringMap(job.Object, map[string]string{"batch.kubernetes.io/controller-uid": "1234"}, "spec", "selector", "matchLabels")
	if got, want := JobPodSelector(job), "batch.kubernetes.io/controller-uid=1234"; got != want {
		t.Errorf("with the Job's selector: got %q, want %q", got, want)
	}
}
