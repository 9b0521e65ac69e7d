package emulator

import (
	"context"
	"sort"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// adapterImage stands in for Kratix's pipeline-adapter image (reader,
// work-writer, status-writer). No kubelet pulls it here.
const adapterImage = "kratix-emulator.local/pipeline-adapter:emulated"

// Volumes Kratix mounts into every pipeline container.
var kratixMounts = []corev1.VolumeMount{
	{Name: "shared-input", MountPath: "/kratix/input"},
	{Name: "shared-output", MountPath: "/kratix/output"},
	{Name: "shared-metadata", MountPath: "/kratix/metadata"},
}

// jobLabels are the labels every Job of this workflow carries (§10), minus
// pipeline-specific ones: they also select the workflow's Jobs.
func (t *workflowTarget) jobLabels(action string) map[string]string {
	l := map[string]string{
		labelPromiseName:    t.promiseName,
		labelWorkflowType:   t.workflowType,
		labelWorkflowAction: action,
	}
	if t.workflowType == workflowResource {
		l[labelResourceName] = t.obj.GetName()
		if t.jobNamespace != t.obj.GetNamespace() {
			l[labelResourceNamespace] = t.obj.GetNamespace()
		}
	}
	return l
}

// buildJob is the Job for one pipeline of this workflow (§10).
func (t *workflowTarget) buildJob(p pipeline, action string, isLast bool) *batchv1.Job {
	jobLabels := map[string]string{}
	for k, v := range p.Labels {
		jobLabels[k] = v
	}
	for k, v := range t.jobLabels(action) {
		jobLabels[k] = v
	}
	jobLabels[labelPipelineName] = p.Name
	jobLabels[labelManagedBy] = managedByKratix
	jobLabels[labelHash] = t.hash()

	annotations := map[string]string{}
	for k, v := range p.Annotations {
		annotations[k] = v
	}
	annotations[annotationJobResourceNamespace] = t.obj.GetNamespace()
	annotations[annotationJobResourceName] = t.obj.GetName()
	annotations[annotationJobResourceKind] = t.obj.GetKind()
	annotations[annotationJobResourceAPIVersion] = t.obj.GetAPIVersion()
	jobAnnotations := map[string]string{annotationCreatedAt: now().Format(time.RFC3339Nano)}
	for k, v := range annotations {
		jobAnnotations[k] = v
	}

	request, requestNS := "", ""
	if t.workflowType == workflowResource {
		request = t.obj.GetName()
		if t.jobNamespace != t.obj.GetNamespace() {
			requestNS = t.obj.GetNamespace()
		}
	}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:        jobName(t.promiseName, request, requestNS, p.Name),
			Namespace:   t.jobNamespace,
			Labels:      jobLabels,
			Annotations: jobAnnotations,
		},
		Spec: batchv1.JobSpec{
			BackoffLimit: p.BackoffLimit,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: jobLabels, Annotations: annotations},
				Spec:       t.podSpec(p, action, isLast),
			},
		},
	}
	if owner, ok := t.ownerReference(); ok {
		job.OwnerReferences = []metav1.OwnerReference{owner}
	}
	return job
}

// ownerReference points at the Promise or request when the Job may be
// owned by it: a namespaced owner must live in the Job's namespace.
func (t *workflowTarget) ownerReference() (metav1.OwnerReference, bool) {
	ns := t.obj.GetNamespace()
	if ns != "" && ns != t.jobNamespace {
		return metav1.OwnerReference{}, false
	}
	return metav1.OwnerReference{
		APIVersion: t.obj.GetAPIVersion(), Kind: t.obj.GetKind(), Name: t.obj.GetName(), UID: t.obj.GetUID(),
		Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true),
	}, true
}

func (t *workflowTarget) podSpec(p pipeline, action string, isLast bool) corev1.PodSpec {
	env := t.kratixEnv(p, action)
	inits := []corev1.Container{adapterContainer("reader", "reader", env)}
	for _, c := range p.Containers {
		c = *c.DeepCopy()
		c.Env = append(c.Env, env...)
		c.VolumeMounts = withKratixMounts(c.VolumeMounts)
		inits = append(inits, c)
	}
	if action == actionConfigure {
		inits = append(inits, adapterContainer("work-writer", "work-creator", env))
	}
	statusEnv := append(append([]corev1.EnvVar{}, env...), corev1.EnvVar{Name: "IS_LAST_PIPELINE", Value: strconv.FormatBool(isLast)})
	volumes := []corev1.Volume{}
	for _, m := range kratixMounts {
		volumes = append(volumes, corev1.Volume{Name: m.Name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}
	return corev1.PodSpec{
		RestartPolicy:      p.RestartPolicy,
		ServiceAccountName: t.serviceAccountName(p, action),
		InitContainers:     inits,
		Containers:         []corev1.Container{adapterContainer("status-writer", "update-status", statusEnv)},
		Volumes:            append(volumes, p.Volumes...),
		ImagePullSecrets:   p.ImagePullSecrets,
		NodeSelector:       p.NodeSelector,
		Tolerations:        p.Tolerations,
	}
}

func adapterContainer(name, command string, env []corev1.EnvVar) corev1.Container {
	return corev1.Container{
		Name: name, Image: adapterImage, Command: []string{"/bin/pipeline-adapter", command},
		Env: env, VolumeMounts: kratixMounts, Resources: defaultResources(),
	}
}

// withKratixMounts adds Kratix's mounts unless the container already
// mounts something at those paths.
func withKratixMounts(mounts []corev1.VolumeMount) []corev1.VolumeMount {
	out := append([]corev1.VolumeMount{}, mounts...)
	for _, km := range kratixMounts {
		taken := false
		for _, m := range mounts {
			taken = taken || m.MountPath == km.MountPath || m.Name == km.Name
		}
		if !taken {
			out = append(out, km)
		}
	}
	return out
}

// kratixEnv is what Kratix injects into every pipeline container (§4).
func (t *workflowTarget) kratixEnv(p pipeline, action string) []corev1.EnvVar {
	gv, _ := schema.ParseGroupVersion(t.obj.GetAPIVersion())
	return []corev1.EnvVar{
		{Name: "KRATIX_WORKFLOW_ACTION", Value: action},
		{Name: "KRATIX_WORKFLOW_TYPE", Value: t.workflowType},
		{Name: "KRATIX_PROMISE_NAME", Value: t.promiseName},
		{Name: "KRATIX_PIPELINE_NAME", Value: p.Name},
		{Name: "KRATIX_OBJECT_KIND", Value: t.obj.GetKind()},
		{Name: "KRATIX_OBJECT_GROUP", Value: gv.Group},
		{Name: "KRATIX_OBJECT_VERSION", Value: gv.Version},
		{Name: "KRATIX_OBJECT_NAME", Value: t.obj.GetName()},
		{Name: "KRATIX_OBJECT_NAMESPACE", Value: t.obj.GetNamespace()},
		{Name: "KRATIX_CRD_PLURAL", Value: t.gvr.Resource},
		{Name: "KRATIX_CLUSTER_SCOPED", Value: strconv.FormatBool(t.obj.GetNamespace() == "")},
	}
}

// serviceAccountName is the pipeline's own SA, or the one Kratix creates:
// <promise>-<type>-<action>-<pipeline>.
func (t *workflowTarget) serviceAccountName(p pipeline, action string) string {
	if p.ServiceAccount != "" {
		return p.ServiceAccount
	}
	return t.promiseName + "-" + t.workflowType + "-" + action + "-" + p.Name
}

// ensureServiceAccount creates the pipeline's ServiceAccount if Kratix
// would have (no rbac.serviceAccount given).
func (e *Emulator) ensureServiceAccount(ctx context.Context, t *workflowTarget, p pipeline, action string) error {
	if p.ServiceAccount != "" {
		return nil
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name: t.serviceAccountName(p, action), Namespace: t.jobNamespace,
		Labels: map[string]string{labelPromiseName: t.promiseName},
	}}
	_, err := e.kube.CoreV1().ServiceAccounts(t.jobNamespace).Create(ctx, sa, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// listJobs lists Jobs by labels from the API, newest first.
func (e *Emulator) listJobs(ctx context.Context, namespace string, selector map[string]string) ([]batchv1.Job, error) {
	list, err := e.kube.BatchV1().Jobs(namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(selector).String()})
	if err != nil {
		return nil, err
	}
	jobs := list.Items
	sort.SliceStable(jobs, func(i, j int) bool {
		ti, tj := jobCreatedAt(&jobs[i]), jobCreatedAt(&jobs[j])
		if !ti.Equal(tj) {
			return ti.After(tj)
		}
		return jobs[i].Name > jobs[j].Name
	})
	return jobs, nil
}

// jobCreatedAt is the emulator's nanosecond creation time, falling back to
// the creationTimestamp for Jobs someone else created.
func jobCreatedAt(j *batchv1.Job) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, j.Annotations[annotationCreatedAt]); err == nil {
		return t
	}
	return j.CreationTimestamp.Time
}

func jobCondition(j *batchv1.Job, t batchv1.JobConditionType) (batchv1.JobCondition, bool) {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return c, true
		}
	}
	return batchv1.JobCondition{}, false
}

// Kratix's own reading of a Job (lib/workflow/reconciler.go).
func jobRunning(j *batchv1.Job) bool {
	if j == nil {
		return false
	}
	if j.Status.Active > 0 {
		return true
	}
	for _, t := range []batchv1.JobConditionType{batchv1.JobComplete, batchv1.JobFailed, batchv1.JobSuspended} {
		if _, ok := jobCondition(j, t); ok {
			return false
		}
	}
	return true
}

func jobFailed(j *batchv1.Job) bool {
	_, failed := jobCondition(j, batchv1.JobFailed)
	_, suspended := jobCondition(j, batchv1.JobSuspended)
	return failed || suspended
}

func jobSucceeded(j *batchv1.Job) bool {
	_, ok := jobCondition(j, batchv1.JobComplete)
	return ok
}

// jobFailureMessage is the message of the Failed (or Suspended) condition.
func jobFailureMessage(j *batchv1.Job) string {
	if c, ok := jobCondition(j, batchv1.JobFailed); ok {
		return c.Message
	}
	if c, ok := jobCondition(j, batchv1.JobSuspended); ok {
		return c.Message
	}
	return ""
}

func ptrTo[T any](v T) *T { return &v }
