package emulator

import (
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

const testWorkflows = `
workflows:
  config: {}
  resource:
    configure:
    - apiVersion: platform.kratix.io/v1alpha1
      kind: Pipeline
      metadata:
        name: instance-configure
        labels: {team: data}
        annotations: {note: hi}
      spec:
        rbac: {serviceAccount: custom-sa}
        containers:
        - name: main
          image: ghcr.io/example/pipeline:v1
          env: [{name: KRATIX_EMULATOR_DURATION, value: 1s}]
          volumeMounts: [{name: shared-output, mountPath: /kratix/output}]
    - apiVersion: platform.kratix.io/v1alpha1
      kind: Pipeline
      metadata: {name: second}
      spec:
        containers: [{name: main, image: x, resources: {limits: {cpu: 50m}}}]
`

func testTarget(t *testing.T, pipelineNamespace string) *workflowTarget {
	t.Helper()
	var spec map[string]any
	if err := yaml.Unmarshal([]byte(testWorkflows), &spec); err != nil {
		t.Fatal(err)
	}
	if pipelineNamespace != "" {
		spec["workflows"].(map[string]any)["config"] = map[string]any{"pipelineNamespace": pipelineNamespace}
	}
	promise := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.kratix.io/v1alpha1", "kind": "Promise",
		"metadata": map[string]any{"name": "redis", "uid": "p-uid"}, "spec": spec,
	}}
	rr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "marketplace.kratix.io/v1alpha1", "kind": "redis",
		"metadata": map[string]any{"name": "example", "namespace": "team-a", "uid": "rr-uid"},
		"spec":     map[string]any{"size": "small"},
	}}
	return requestTarget(promise, rr, schema.GroupVersionResource{Group: "marketplace.kratix.io", Version: "v1alpha1", Resource: "redis"})
}

func TestBuildJob(t *testing.T) {
	fixClock(t, "2026-01-02T03:04:05Z")
	tgt := testTarget(t, "")
	pipelines := tgt.pipelines(actionConfigure)
	if len(pipelines) != 2 {
		t.Fatalf("pipelines: %v", pipelines)
	}
	job := tgt.buildJob(pipelines[0], actionConfigure, false)
	want := map[string]string{
		labelPromiseName: "redis", labelWorkflowType: "resource", labelWorkflowAction: "configure",
		labelPipelineName: "instance-configure", labelResourceName: "example", labelManagedBy: "Kratix",
		labelHash: tgt.hash(), "team": "data",
	}
	for k, v := range want {
		if job.Labels[k] != v {
			t.Errorf("label %s=%q, want %q", k, job.Labels[k], v)
		}
	}
	if _, ok := job.Labels[labelResourceNamespace]; ok {
		t.Error("resource-namespace only with a pipelineNamespace")
	}
	if job.Namespace != "team-a" || len(job.OwnerReferences) != 1 || job.OwnerReferences[0].UID != "rr-uid" {
		t.Errorf("namespace/owner: %s %v", job.Namespace, job.OwnerReferences)
	}
	if job.Annotations[annotationJobResourceKind] != "redis" || job.Annotations["note"] != "hi" ||
		job.Annotations[annotationCreatedAt] != "2026-01-02T03:04:05Z" {
		t.Errorf("annotations: %v", job.Annotations)
	}
	pod := job.Spec.Template.Spec
	if pod.ServiceAccountName != "custom-sa" || pod.RestartPolicy != corev1.RestartPolicyOnFailure {
		t.Errorf("pod: %s %s", pod.ServiceAccountName, pod.RestartPolicy)
	}
	var names []string
	for _, c := range pod.InitContainers {
		names = append(names, c.Name)
	}
	if len(names) != 3 || names[0] != "reader" || names[1] != "main" || names[2] != "work-writer" {
		t.Errorf("init containers: %v", names)
	}
	if len(pod.InitContainers[1].VolumeMounts) != 3 {
		t.Errorf("a user mount at /kratix/output must not be doubled: %v", pod.InitContainers[1].VolumeMounts)
	}
	if d := parseDirectives(pod.InitContainers, nil); d.Duration != time.Second {
		t.Error("directives must travel with the Job")
	}
	if isLastPipeline(job) || !isLastPipeline(tgt.buildJob(pipelines[1], actionConfigure, true)) {
		t.Error("IS_LAST_PIPELINE")
	}
	second := tgt.buildJob(pipelines[1], actionDelete, false).Spec.Template.Spec
	if len(second.InitContainers) != 2 || second.ServiceAccountName != "redis-resource-delete-second" {
		t.Errorf("delete Jobs have no work-writer; default SA name: %v %s", second.InitContainers, second.ServiceAccountName)
	}
	if second.InitContainers[1].Resources.Limits.Cpu().String() != "50m" || len(second.InitContainers[1].Resources.Requests) != 0 {
		t.Error("resources a pipeline sets must be kept as they are")
	}
}

func TestBuildJobInPipelineNamespace(t *testing.T) {
	tgt := testTarget(t, "pipelines")
	job := tgt.buildJob(tgt.pipelines(actionConfigure)[0], actionConfigure, false)
	if job.Namespace != "pipelines" || job.Labels[labelResourceNamespace] != "team-a" || len(job.OwnerReferences) != 0 {
		t.Fatalf("got %s %v %v", job.Namespace, job.Labels, job.OwnerReferences)
	}
	if got := job.Name[:len(job.Name)-6]; got != "kratix-redis-example-team-a-instance-configure" {
		t.Fatalf("name %q", job.Name)
	}
}

func TestJobReadings(t *testing.T) {
	running := &batchv1.Job{Status: batchv1.JobStatus{Active: 1}}
	done := &batchv1.Job{}
	jobSucceededStatus(&done.Status)
	failed := &batchv1.Job{}
	jobFailedStatus(&failed.Status, "boom")
	suspended := &batchv1.Job{}
	jobSuspendedStatus(&suspended.Status)
	if !jobRunning(running) || jobRunning(done) || jobRunning(failed) || jobRunning(suspended) || jobRunning(nil) {
		t.Error("running")
	}
	if !jobRunning(&batchv1.Job{}) {
		t.Error("a Job with no conditions is running")
	}
	if !jobSucceeded(done) || jobSucceeded(failed) || !jobFailed(failed) || !jobFailed(suspended) || jobFailed(done) {
		t.Error("succeeded/failed")
	}
	if jobFailureMessage(failed) != "boom" || done.Status.CompletionTime == nil || failed.Status.CompletionTime != nil {
		t.Error("failure message and completion time")
	}
	if done.Status.Conditions[0].Type != batchv1.JobSuccessCriteriaMet || failed.Status.Conditions[0].Type != batchv1.JobFailureTarget {
		t.Error("the API server wants SuccessCriteriaMet/FailureTarget first")
	}
	a := batchv1.Job{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{annotationCreatedAt: "2026-01-01T00:00:00.5Z"}}}
	if !jobCreatedAt(&a).Equal(time.Date(2026, 1, 1, 0, 0, 0, 5e8, time.UTC)) {
		t.Error("created-at annotation")
	}
}
