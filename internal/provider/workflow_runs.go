package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// failedDeleteRunDetail finds the newest failed delete-pipeline Job that
// matches the labels (and, when namespace is set, belongs to a request in
// that namespace) and describes it for a diagnostic: Kratix's condition
// only says "The Delete Pipeline has failed", the Job says which pipeline
// and why. It returns "" when no such Job can be read.
func failedDeleteRunDetail(ctx context.Context, client *kube.Client, labels map[string]string, namespace string) string {
	jobs, err := listDeleteJobs(ctx, client, labels)
	if err != nil {
		tflog.Debug(ctx, "cannot list delete pipeline Jobs", map[string]any{"labels": labels, "error": err.Error()})
		return ""
	}
	var runs []kratix.WorkflowRun
	for i := range jobs {
		run := kratix.RunFromJob(&jobs[i])
		if run.Phase == kratix.PhaseFailed && (namespace == "" || runBelongsTo(run, &jobs[i], namespace)) {
			runs = append(runs, run)
		}
	}
	if len(runs) == 0 {
		return ""
	}
	kratix.SortNewestFirst(runs)
	run := runs[0]
	return fmt.Sprintf("Pipeline %q (Job %s/%s) failed: %s\nIts logs: kubectl logs -n %s job/%s --all-containers",
		run.Pipeline, run.Namespace, run.Job, run.Message, run.Namespace, run.Job)
}

// withDetail appends detail as its own paragraph when there is one.
func withDetail(text, detail string) string {
	if detail == "" {
		return text
	}
	return text + "\n\n" + detail
}

// deleteRetry marks a wait that follows a re-run of a failed delete
// workflow: Kratix's DeleteWorkflowCompleted=False condition stays as it
// was (there is no "running" condition), so only a delete Job that failed
// after the retry began proves the re-run failed too.
type deleteRetry struct {
	since time.Time
}

// resyncInterval bounds how long a retried delete can go without a fresh
// look: a re-run that fails again may not touch the watched object.
const resyncInterval = 10 * time.Second

// waitDeleted waits until the object is gone or its delete workflow has
// failed (for a retry: failed again).
func waitDeleted(ctx context.Context, client *kube.Client, gvk schema.GroupVersionKind, ns, name string, retry *deleteRetry, jobLabels map[string]string) (kratix.Outcome, error) {
	var last kratix.Outcome
	cond := func(obj *unstructured.Unstructured) (bool, error) {
		last = kratix.DeleteOutcome(obj)
		if last.State == kratix.Failed && retry != nil && !deleteFailedSince(ctx, client, jobLabels, ns, retry.since) {
			last = kratix.Outcome{State: kratix.Waiting, Summary: "waiting for the re-run of the delete pipeline"}
		}
		return last.State != kratix.Waiting, nil
	}
	if retry == nil {
		_, err := client.WaitFor(ctx, gvk, ns, name, cond)
		return last, err
	}
	for {
		resync, cancel := context.WithTimeout(ctx, resyncInterval)
		_, err := client.WaitFor(resync, gvk, ns, name, cond)
		cancel()
		if err == nil || ctx.Err() != nil || resync.Err() == nil {
			return last, err
		}
	}
}

// deleteFailedSince reports whether a delete Job created after since failed.
func deleteFailedSince(ctx context.Context, client *kube.Client, labels map[string]string, ns string, since time.Time) bool {
	jobs, err := listDeleteJobs(ctx, client, labels)
	if err != nil {
		return false
	}
	for i := range jobs {
		run := kratix.RunFromJob(&jobs[i])
		if run.Phase == kratix.PhaseFailed && !jobs[i].GetCreationTimestamp().Time.Before(since) && (ns == "" || runBelongsTo(run, &jobs[i], ns)) {
			return true
		}
	}
	return false
}

func listDeleteJobs(ctx context.Context, client *kube.Client, labels map[string]string) ([]unstructured.Unstructured, error) {
	selector := []string{kratix.LabelWorkflowAction + "=delete"}
	for k, v := range labels {
		selector = append(selector, k+"="+v)
	}
	list, err := client.List(ctx, kratix.JobGVK, "", metav1.ListOptions{LabelSelector: strings.Join(selector, ",")})
	if err != nil || list == nil {
		return nil, err
	}
	return list.Items, nil
}

// retryFailedDelete handles a destroy that runs again after the delete
// workflow failed: the failed condition would otherwise end the wait at
// once. It asks Kratix to re-run the delete pipeline with the
// manual-reconciliation label (kratix-api.md §5.5) and returns the time of
// that request, or nil when there is nothing to retry.
func retryFailedDelete(ctx context.Context, client *kube.Client, fieldManager string, gvk schema.GroupVersionKind, ns, name string) (*deleteRetry, error) {
	obj, err := client.Get(ctx, gvk, ns, name)
	if kube.IsNotFound(err) {
		return nil, nil
	}
	if err != nil || obj == nil || obj.GetDeletionTimestamp() == nil || kratix.DeleteOutcome(obj).State != kratix.Failed {
		return nil, err
	}
	retry := &deleteRetry{since: time.Now().Add(-time.Second)}
	ri, err := client.Resource(ctx, gvk, ns)
	if err != nil {
		return nil, err
	}
	// A merge patch, not an apply: it can never re-create an object that
	// vanished meanwhile, and the uid pins it to the object we read.
	patch := fmt.Sprintf(`{"metadata":{"uid":%q,"labels":{%q:"true"}}}`, obj.GetUID(), kratix.LabelManualReconciliation)
	tflog.Info(ctx, "re-running a failed delete workflow", map[string]any{"kind": gvk.Kind, "namespace": ns, "name": name})
	_, err = ri.Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: fieldManager})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil, nil // Kratix finished the delete meanwhile
	}
	return retry, err
}
