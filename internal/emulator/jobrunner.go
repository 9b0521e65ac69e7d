package emulator

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
)

// syncJob plays kubelet, the Job controller and Kratix's pipeline adapter
// for one workflow Job. The pipeline "runs" from the Job's creation for its
// duration; then, unless it fails, the work-writer writes its Work and the
// status-writer merges its status.yaml into the parent, and the Job
// completes. All of it is read from the Job itself (the user containers'
// env carry the directives), so a restarted emulator picks up where the
// last one stopped.
func (e *Emulator) syncJob(ctx context.Context, key string) (time.Duration, error) {
	ns, name := splitKey(key)
	job, err := e.kube.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return 0, ignoreNotFound(err)
	}
	if jobTerminal(job) {
		return 0, nil
	}
	if job.Spec.Suspend != nil && *job.Spec.Suspend {
		return 0, e.writeJobStatus(ctx, job, jobSuspendedStatus)
	}
	if job.Status.StartTime == nil {
		if err := e.writeJobStatus(ctx, job, jobStartedStatus); err != nil {
			return 0, err
		}
	}
	containers := append(append([]corev1.Container{}, job.Spec.Template.Spec.InitContainers...), job.Spec.Template.Spec.Containers...)
	d := parseDirectives(containers, e.envResolver(ctx, job.Namespace))
	switch {
	case errors.Is(d.Err, errEnvNotReady):
		// kubelet would hold the container in CreateContainerConfigError.
		return time.Second, nil
	case errors.Is(d.Err, errEnvLookup):
		return 0, d.Err
	}
	if wait := time.Until(jobCreatedAt(job).Add(d.runDuration(e.opts.PipelineDuration))); wait > 0 {
		return wait, nil
	}
	return 0, e.finishJob(ctx, job, d)
}

var (
	// errEnvNotReady: a required ConfigMap or Secret key is missing.
	errEnvNotReady = errors.New("a referenced ConfigMap or Secret key does not exist")
	// errEnvLookup: reading a referenced ConfigMap or Secret failed; retried.
	errEnvLookup = errors.New("reading a referenced ConfigMap or Secret")
)

// envResolver resolves configMapKeyRef and secretKeyRef in the Job's
// namespace, as kubelet does when a container starts. This lets a test
// change what a pipeline does without changing the Promise (and so without
// changing the workflow hash). Other sources are treated as unset.
func (e *Emulator) envResolver(ctx context.Context, namespace string) envResolver {
	return func(src *corev1.EnvVarSource) (string, bool, error) {
		switch {
		case src.ConfigMapKeyRef != nil:
			ref := src.ConfigMapKeyRef
			cm, err := e.kube.CoreV1().ConfigMaps(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if ignoreNotFound(err) != nil {
				return "", false, fmt.Errorf("%w: %w", errEnvLookup, err)
			}
			if err == nil {
				if v, ok := cm.Data[ref.Key]; ok {
					return v, true, nil
				}
			}
			return missingRef(ref.Optional)
		case src.SecretKeyRef != nil:
			ref := src.SecretKeyRef
			secret, err := e.kube.CoreV1().Secrets(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if ignoreNotFound(err) != nil {
				return "", false, fmt.Errorf("%w: %w", errEnvLookup, err)
			}
			if err == nil {
				if v, ok := secret.Data[ref.Key]; ok {
					return string(v), true, nil
				}
			}
			return missingRef(ref.Optional)
		}
		return "", false, nil
	}
}

func missingRef(optional *bool) (string, bool, error) {
	if optional != nil && *optional {
		return "", false, nil
	}
	return "", false, errEnvNotReady
}

func jobTerminal(j *batchv1.Job) bool {
	for _, t := range []batchv1.JobConditionType{batchv1.JobComplete, batchv1.JobFailed, batchv1.JobSuspended} {
		if _, ok := jobCondition(j, t); ok {
			return true
		}
	}
	return false
}

// finishJob ends a run: failures first (a failing container stops the pod
// before the adapter's containers run), then the work-writer, then the
// status-writer, whose own errors also fail the Job.
func (e *Emulator) finishJob(ctx context.Context, job *batchv1.Job, d directives) error {
	switch {
	case d.Err != nil:
		return e.failJob(ctx, job, d.Err.Error())
	case d.Failed:
		return e.failJob(ctx, job, d.Fail)
	}
	if job.Labels[labelWorkflowAction] == actionConfigure && !d.Suspend && e.parentLive(ctx, job) {
		if err := e.writeWork(ctx, job); err != nil {
			return err
		}
	}
	if err := e.writeParentStatus(ctx, job, d); err != nil {
		var pe pipelineError
		if errors.As(err, &pe) {
			return e.failJob(ctx, job, pe.Error())
		}
		return err
	}
	if job.Labels[labelWorkflowAction] == actionDelete && d.Suspend {
		if err := e.annotateJob(ctx, job, annotationSuspendedRun, "true"); err != nil {
			return err
		}
	}
	e.opts.Logf("Job %s/%s (%s) succeeded", job.Namespace, job.Name, job.Labels[labelPipelineName])
	return e.writeJobStatus(ctx, job, jobSucceededStatus)
}

func (e *Emulator) failJob(ctx context.Context, job *batchv1.Job, message string) error {
	e.opts.Logf("Job %s/%s (%s) failed: %s", job.Namespace, job.Name, job.Labels[labelPipelineName], message)
	return e.writeJobStatus(ctx, job, func(s *batchv1.JobStatus) { jobFailedStatus(s, message) })
}

// pipelineError is an error of the pipeline itself (the status-writer
// refusing status.yaml), as opposed to an API error worth retrying.
type pipelineError struct{ err error }

func (p pipelineError) Error() string { return p.err.Error() }

// writeParentStatus is the status-writer (§5.3).
func (e *Emulator) writeParentStatus(ctx context.Context, job *batchv1.Job, d directives) error {
	parent, ok := e.jobParent(job)
	if !ok {
		// Right after a restart the request kind may not be known yet;
		// only a Job whose Promise is gone has no parent to write to.
		if p, err := e.get(ctx, ref{gvr: gvrPromise, name: job.Labels[labelPromiseName]}); err != nil || p != nil {
			return errors.Join(err, errors.New("the Job's parent kind is not known yet"))
		}
		return nil
	}
	workflowType := job.Labels[labelWorkflowType]
	pipelineName := job.Labels[labelPipelineName]
	if _, ok := d.Status["kratix"]; ok {
		return pipelineError{errKratixStatus}
	}
	if d.Suspend {
		_, err := e.mutateObject(ctx, parent, func(obj *unstructured.Unstructured) error {
			setLabel(obj, labelWorkflowSuspended, "true")
			return nil
		})
		if err != nil {
			return err
		}
	}
	isLast := isLastPipeline(job)
	_, err := e.mutateStatus(ctx, parent, func(obj *unstructured.Unstructured) error {
		incoming := d.Status
		if incoming == nil {
			incoming = map[string]any{}
		}
		merged, err := applyPipelineStatus(statusOf(obj), incoming, workflowType)
		if err != nil {
			return pipelineError{err}
		}
		if isLast && !d.Suspend {
			markCompleted(merged, workflowType)
		}
		if d.Suspend {
			markPipelineSuspended(merged, pipelineName, d.SuspendMessage, obj.GetGeneration())
		} else {
			clearPipelineSuspension(merged, pipelineName)
		}
		if workflowType == workflowPromise {
			ensurePromiseCounters(merged)
		}
		obj.Object["status"] = merged
		return nil
	})
	if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
		// The status-writer exits with an error and the Job fails.
		return pipelineError{fmt.Errorf("failed to update status: %w", err)}
	}
	return err
}

// jobParent finds the Promise or request a Job works for from the
// kratix.io/job-resource-* annotations.
func (e *Emulator) jobParent(job *batchv1.Job) (ref, bool) {
	a := job.Annotations
	gv, err := schema.ParseGroupVersion(a[annotationJobResourceAPIVersion])
	if err != nil || a[annotationJobResourceName] == "" {
		return ref{}, false
	}
	r := ref{namespace: a[annotationJobResourceNamespace], name: a[annotationJobResourceName]}
	if gv.Group == kratixGroup && a[annotationJobResourceKind] == "Promise" {
		r.gvr = gvrPromise
		return r, true
	}
	api := e.apis.forGroupKind(schema.GroupKind{Group: gv.Group, Kind: a[annotationJobResourceKind]})
	if api == nil {
		return ref{}, false
	}
	r.gvr = api.gvr
	return r, true
}

// parentLive reports whether the Job's parent still exists and is not
// being deleted: a Work written after the parent's work-cleanup finalizer
// ran would never be cleaned up.
func (e *Emulator) parentLive(ctx context.Context, job *batchv1.Job) bool {
	parent, ok := e.jobParent(job)
	if !ok {
		return true
	}
	obj, err := e.get(ctx, parent)
	return err != nil || obj != nil && obj.GetDeletionTimestamp() == nil
}

func isLastPipeline(job *batchv1.Job) bool {
	for _, c := range job.Spec.Template.Spec.Containers {
		for _, env := range c.Env {
			if env.Name == "IS_LAST_PIPELINE" {
				return env.Value == "true"
			}
		}
	}
	return false
}

func (e *Emulator) annotateJob(ctx context.Context, job *batchv1.Job, key, value string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		fresh, err := e.kube.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if fresh.Annotations == nil {
			fresh.Annotations = map[string]string{}
		}
		fresh.Annotations[key] = value
		_, err = e.kube.BatchV1().Jobs(job.Namespace).Update(ctx, fresh, metav1.UpdateOptions{})
		return err
	})
}

// writeJobStatus updates a Job's status subresource on a fresh copy.
func (e *Emulator) writeJobStatus(ctx context.Context, job *batchv1.Job, fn func(*batchv1.JobStatus)) error {
	return ignoreNotFound(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		fresh, err := e.kube.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		if err != nil || jobTerminal(fresh) {
			return err
		}
		fn(&fresh.Status)
		_, err = e.kube.BatchV1().Jobs(job.Namespace).UpdateStatus(ctx, fresh, metav1.UpdateOptions{})
		return err
	}))
}

// The Job status shapes below are what the 1.34 API server accepts from a
// Job controller: a pod is active while running; Complete needs
// SuccessCriteriaMet first and a completionTime; Failed needs
// FailureTarget first and no completionTime; a suspended Job has no
// startTime and no active pods.

func jobStartedStatus(s *batchv1.JobStatus) {
	start := metav1.NewTime(now())
	s.StartTime, s.Active, s.Ready = &start, 1, ptrTo(int32(0))
}

func jobSucceededStatus(s *batchv1.JobStatus) {
	t := metav1.NewTime(now())
	if s.StartTime == nil {
		s.StartTime = &t
	}
	s.CompletionTime, s.Active, s.Ready, s.Succeeded = &t, 0, ptrTo(int32(0)), 1
	msg := "Reached expected number of succeeded pods"
	s.Conditions = append(s.Conditions,
		jobCond(batchv1.JobSuccessCriteriaMet, "CompletionsReached", msg, t),
		jobCond(batchv1.JobComplete, "CompletionsReached", msg, t))
}

// jobFailedStatus carries the pipeline's failure message in the Failed
// condition, where a person (or the provider) can read it: there are no
// pod logs on this platform.
func jobFailedStatus(s *batchv1.JobStatus, message string) {
	t := metav1.NewTime(now())
	if s.StartTime == nil {
		s.StartTime = &t
	}
	s.Active, s.Ready, s.Failed = 0, ptrTo(int32(0)), 1
	s.Conditions = append(s.Conditions,
		jobCond(batchv1.JobFailureTarget, "BackoffLimitExceeded", message, t),
		jobCond(batchv1.JobFailed, "BackoffLimitExceeded", message, t))
}

func jobSuspendedStatus(s *batchv1.JobStatus) {
	s.StartTime, s.Active, s.Ready = nil, 0, ptrTo(int32(0))
	s.Conditions = append(s.Conditions, jobCond(batchv1.JobSuspended, "JobSuspended", "Job suspended", metav1.NewTime(now())))
}

func jobCond(t batchv1.JobConditionType, reason, message string, at metav1.Time) batchv1.JobCondition {
	return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: message, LastProbeTime: at, LastTransitionTime: at}
}
