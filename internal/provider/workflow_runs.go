package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// failedRunDetail finds the newest failed Job of a workflow action
// (configure or delete) that matches the labels (and, when namespace is
// set, belongs to a request in that namespace) and describes it for a
// diagnostic: Kratix's conditions say at most which pipeline failed, the
// Job and its failed Pod say why. It returns "" when no such Job can be read.
func failedRunDetail(ctx context.Context, client *kube.Client, action string, labels map[string]string, namespace string) string {
	jobs, err := listWorkflowJobs(ctx, client, action, labels)
	if err != nil {
		tflog.Debug(ctx, "cannot list pipeline Jobs", map[string]any{"action": action, "labels": labels, "error": err.Error()})
		return ""
	}
	var runs []kratix.WorkflowRun
	byName := map[string]*unstructured.Unstructured{}
	for i := range jobs {
		run := kratix.RunFromJob(&jobs[i])
		if run.Phase == kratix.PhaseFailed && (namespace == "" || runBelongsTo(run, &jobs[i], namespace)) {
			runs = append(runs, run)
			byName[run.Namespace+"/"+run.Job] = &jobs[i]
		}
	}
	if len(runs) == 0 {
		return ""
	}
	kratix.SortNewestFirst(runs)
	run := runs[0]
	pods, err := client.List(ctx, kratix.PodGVK, run.Namespace, metav1.ListOptions{LabelSelector: kratix.JobPodSelector(byName[run.Namespace+"/"+run.Job])})
	if err != nil {
		tflog.Debug(ctx, "cannot list the failed Job's Pods", map[string]any{"namespace": run.Namespace, "job": run.Job, "error": err.Error()})
	}
	return describeFailedRun(run, pods, err)
}

// describeFailedRun says which pipeline failed and why: the failing
// container's exit code and termination message when its Pod can be read,
// else the Job's own message (on a real cluster only that its backoff limit
// was reached), with the reason the Pod could not be read.
func describeFailedRun(run kratix.WorkflowRun, pods *unstructured.UnstructuredList, podsErr error) string {
	why := run.Message
	var items []unstructured.Unstructured
	if pods != nil {
		items = pods.Items
	}
	if failure, ok := kratix.FailedContainer(items); ok {
		why = failure.String()
	} else if kube.IsForbidden(podsErr) {
		why += fmt.Sprintf(" (the provider may not list Pods in namespace %s, so it cannot show the failed container's "+
			"message: grant it get and list on pods there)", run.Namespace)
	}
	return fmt.Sprintf("Pipeline %q (Job %s/%s) failed: %s\nIts logs: kubectl logs -n %s job/%s --all-containers",
		run.Pipeline, run.Namespace, run.Job, why, run.Namespace, run.Job)
}

// withDetail appends detail as its own paragraph when there is one.
func withDetail(text, detail string) string {
	if detail == "" {
		return text
	}
	return text + "\n\n" + detail
}

// resyncInterval bounds how long a re-run delete workflow can go without a
// fresh look: Kratix's DeleteWorkflowCompleted=False condition stays as it
// was while the pipeline runs again (there is no "running" condition), so
// a re-run that fails again may not touch the watched object.
const resyncInterval = 10 * time.Second

// followDeletion follows an object after the DELETE sent at deleteSent
// until it is gone or its delete workflow failed (see waitDeleted).
func followDeletion(ctx context.Context, client *kube.Client, fieldManager string, gvk schema.GroupVersionKind, ns, name string,
	deleteSent time.Time, jobLabels map[string]string) kratix.FollowResult {
	var res kratix.FollowResult
	res.Last, res.Err = waitDeleted(ctx, client, fieldManager, gvk, ns, name, deleteSent, jobLabels)
	return withFailedRun(ctx, client, res.Decided(ctx.Err()), "delete", jobLabels, ns)
}

// waitDeleted waits, after the DELETE sent at deleteSent, until the object
// is gone or its delete workflow has failed. When the very first look
// already shows a failure and no delete Job failed since deleteSent, the
// failure is an earlier destroy's: Kratix keeps such an object until asked
// to re-run the pipeline (kratix-api.md §5.5), so the wait asks once with
// the manual-reconciliation label and then reports only a failure of a
// delete Job created after that. The usual destroy costs no extra read.
func waitDeleted(ctx context.Context, client *kube.Client, fieldManager string, gvk schema.GroupVersionKind, ns, name string,
	deleteSent time.Time, jobLabels map[string]string) (kratix.Outcome, error) {
	var (
		last          kratix.Outcome
		seen, retried bool
		stale         *unstructured.Unstructured
		rerunSince    time.Time
	)
	cond := func(obj *unstructured.Unstructured) (bool, error) {
		first := !seen
		seen = true
		last = kratix.DeleteOutcome(obj)
		switch {
		case last.State != kratix.Failed:
		case retried && !deleteFailedSince(ctx, client, jobLabels, ns, rerunSince):
			last = kratix.Outcome{State: kratix.Waiting, Summary: "waiting for the re-run of the delete pipeline"}
		case !retried && first && !deleteFailedSince(ctx, client, jobLabels, ns, deleteSent):
			stale = obj
		}
		return last.State != kratix.Waiting, nil
	}
	for {
		waitCtx, cancel := ctx, context.CancelFunc(func() {})
		if retried {
			waitCtx, cancel = context.WithTimeout(ctx, resyncInterval)
		}
		_, err := client.WaitFor(waitCtx, gvk, ns, name, cond)
		cancel()
		switch {
		case stale != nil:
			rerunSince = client.ServerNow() // compared with the Jobs' creationTimestamp
			if _, err := requestRerun(ctx, client, fieldManager, gvk, stale); err != nil {
				// Reported as the workflow's failure: the caller's diagnostic
				// then says how to re-run it by hand.
				return kratix.Outcome{State: kratix.Failed, Summary: "cannot re-run the failed delete workflow: " + err.Error()}, nil //nolint:nilerr // see above
			}
			stale, retried = nil, true
		case err == nil || ctx.Err() != nil || !retried || waitCtx.Err() == nil:
			return last, err
		}
	}
}

// deleteFailedSince reports whether a delete Job created after since failed.
func deleteFailedSince(ctx context.Context, client *kube.Client, labels map[string]string, ns string, since time.Time) bool {
	_, failed := failedRunSince(ctx, client, "delete", labels, ns, since)
	return failed
}

// failedRunSince finds a Job of the workflow action created after since
// that failed: the only trace of a run that fails after a failed run, as
// Kratix then leaves the object's conditions as they were.
func failedRunSince(ctx context.Context, client *kube.Client, action string, labels map[string]string, ns string, since time.Time) (kratix.WorkflowRun, bool) {
	jobs, err := listWorkflowJobs(ctx, client, action, labels)
	if err != nil {
		return kratix.WorkflowRun{}, false
	}
	for i := range jobs {
		run := kratix.RunFromJob(&jobs[i])
		if run.Phase == kratix.PhaseFailed && !jobs[i].GetCreationTimestamp().Time.Before(since) && (ns == "" || runBelongsTo(run, &jobs[i], ns)) {
			return run, true
		}
	}
	return kratix.WorkflowRun{}, false
}

func listWorkflowJobs(ctx context.Context, client *kube.Client, action string, labels map[string]string) ([]unstructured.Unstructured, error) {
	selector := []string{kratix.LabelWorkflowAction + "=" + action}
	for k, v := range labels {
		selector = append(selector, k+"="+v)
	}
	list, err := client.List(ctx, kratix.JobGVK, "", metav1.ListOptions{LabelSelector: strings.Join(selector, ",")})
	if err != nil || list == nil {
		return nil, err
	}
	return list.Items, nil
}

// requestRerun asks Kratix to run the object's workflow again (the delete
// workflow of an object being deleted, the configure workflow otherwise),
// with the manual-reconciliation label (kratix-api.md §5.5). It returns
// when, by the server's clock, the re-run was asked for: the watch counts
// only a completion or failure after it. An object that went or changed
// meanwhile is not labelled, and no error: the wait sees it.
func requestRerun(ctx context.Context, client *kube.Client, fieldManager string, gvk schema.GroupVersionKind, obj *unstructured.Unstructured) (time.Time, error) {
	// When the label is on already (Kratix labels every request of a
	// Promise whose spec changed), the patch changes nothing and leaves
	// our managedFields time at an earlier write: a failure since then
	// would pass for this run's. The server's time before the patch is
	// then the moment the re-run was asked for.
	askedAt := client.ServerNow()
	// A merge patch, not an apply: it can never re-create an object that
	// vanished meanwhile, and the uid pins it to the object we saw.
	tflog.Info(ctx, "asking Kratix to run the workflow again", map[string]any{"kind": gvk.Kind, "namespace": obj.GetNamespace(), "name": obj.GetName()})
	labelled, err := client.MergePatch(ctx, gvk, obj.GetNamespace(), obj.GetName(), kratix.RerunPatch(string(obj.GetUID())), kube.WriteOptions{FieldManager: fieldManager})
	if kube.IsNotFound(err) || kube.IsKindNotServed(err) || kube.IsConflict(err) {
		return askedAt, nil
	}
	if err != nil {
		return askedAt, err
	}
	if at, ok := kube.WrittenAt(labelled, fieldManager); ok && at.After(askedAt) {
		askedAt = at
	}
	return askedAt, nil
}
