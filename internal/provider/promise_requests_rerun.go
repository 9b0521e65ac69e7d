package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// rerunPollInterval is how often the requests of an updated Promise are
// listed: one LIST across namespaces per interval, whatever their number.
const rerunPollInterval = 2 * time.Second

// awaitRequestsRerun waits, after an update of the Promise's spec, until
// every request of the Promise has run its configure workflow again
// (wait_for_requests), and reports the ones that failed.
func (r *promiseResource) awaitRequestsRerun(ctx context.Context, promise *unstructured.Unstructured, rerun *kratix.RequestsRerun, diags *diag.Diagnostics) {
	name := promise.GetName()
	apiVersion, kind, _ := kratix.PromiseAPI(promise)
	if kind == "" {
		return // no API, so no requests
	}
	progress, err := r.followRerun(ctx, name, schema.FromAPIVersionAndKind(apiVersion, kind), rerun)
	if len(progress.Blocked) > 0 {
		diags.AddWarning(fmt.Sprintf("%d resource request(s) of Promise %s will not re-run on their own", len(progress.Blocked), name),
			"Kratix re-runs every request's workflow after a change to the Promise's spec, but these cannot run now, so the "+
				"apply did not wait for them:\n"+bullets(progress.Blocked)+"\n\nResume or unpause them to have them re-run.")
	}
	reportFollow(kratix.RerunResult(progress, err, ctx.Err()), r.requestsRerunReport(ctx, name), diags)
}

// requestsRerunReport words how following the re-run of the Promise's
// requests after its update ended; an interrupted follow is reported as
// one that could not list the requests.
func (r *promiseResource) requestsRerunReport(ctx context.Context, name string) followReport {
	return followReport{
		what: "the requests of Promise " + name,
		timedOut: func(res kratix.FollowResult) (string, string) {
			p := res.Requests
			return "Timed out waiting for the requests of Promise " + name + " to re-run", fmt.Sprintf("The Promise was updated. "+
				"%d of %d request(s) had run their configure workflow again; still waiting for:\n%s\n\nRaise timeouts.update if "+
				"the pipelines are just slow, or set wait_for_requests = false to apply Promise changes without waiting for the "+
				"requests.", p.Done, p.Total, bullets(p.Pending))
		},
		errored: func(res kratix.FollowResult) (string, string) {
			return "Cannot follow the requests of Promise " + name + " after its update", fmt.Sprintf("The Promise was updated, "+
				"but listing its resource requests failed: %s\n\nwait_for_requests needs list on the Promise's request API in "+
				"all namespaces; grant it, or set wait_for_requests = false.", followErr(res))
		},
		failed: func(res kratix.FollowResult) (string, string) {
			p := res.Requests
			return fmt.Sprintf("%d resource request(s) of Promise %s failed after its update", len(p.Failed), name), fmt.Sprintf(
				"The Promise was updated, and Kratix re-ran the configure workflow of its %d request(s). These failed:\n%s\n\n"+
					"Fix the pipeline in the Promise, or the request. A request runs its workflow again when its spec or the "+
					"Promise's spec changes, or when it gets the label kratix.io/manual-reconciliation=true. Their Jobs:\n"+
					"  kubectl get jobs -A -l kratix.io/promise-name=%s,kratix.io/workflow-type=resource",
				p.Total, bullets(describeRerunFailures(ctx, r.data.Client, name, p.Failed)), name)
		},
	}
}

// requestsBeforeUpdate lists the Promise's requests before its update is
// written, so that a request whose re-run fails within the second of the
// update is not taken for one that had failed before (RequestsRerun
// .Baseline). Without the listing (the API not served yet, say), failures
// are dated by their lastTransitionTime alone. The caller sets Since once
// the update is written.
func (r *promiseResource) requestsBeforeUpdate(ctx context.Context, promise *unstructured.Unstructured) *kratix.RequestsRerun {
	rerun := &kratix.RequestsRerun{}
	apiVersion, kind, _ := kratix.PromiseAPI(promise)
	if kind == "" {
		return rerun
	}
	list, err := r.data.Client.List(ctx, schema.FromAPIVersionAndKind(apiVersion, kind), "", metav1.ListOptions{})
	if err != nil {
		tflog.Debug(ctx, "cannot list the promise's requests before its update", map[string]any{"promise": promise.GetName(), "error": err.Error()})
		return rerun
	}
	rerun.Baseline(list.Items)
	return rerun
}

// followRerun lists the Promise's requests until none is left to wait
// for. The Promise's own wait (PromiseWatch.RequestsGeneration) has already
// seen Kratix mark them all for a re-run.
func (r *promiseResource) followRerun(ctx context.Context, name string, gvk schema.GroupVersionKind, rerun *kratix.RequestsRerun) (kratix.RerunProgress, error) {
	return kratix.FollowRequestsRerun(ctx, r.data.Client, gvk, "", metav1.ListOptions{}, rerun, rerunPollInterval,
		func(progress kratix.RerunProgress) {
			tflog.Info(ctx, "waiting for the requests of the updated promise to re-run", map[string]any{
				"promise": name, "total": progress.Total, "done": progress.Done, "failed": len(progress.Failed), "pending": len(progress.Pending),
			})
		})
}

// describeRerunFailures says, for each failed request (the first few), which
// pipeline failed and why, with the failing container's message read from
// its Job's Pod when Kratix does not publish it in the request's status.
func describeRerunFailures(ctx context.Context, client *kube.Client, promise string, failed []kratix.RerunFailure) []string {
	const detailed = 3
	out := make([]string, 0, len(failed))
	for i, f := range failed {
		line := f.String()
		if i < detailed {
			jobLabels := map[string]string{kratix.LabelWorkflowType: "resource", kratix.LabelPromiseName: promise, kratix.LabelResourceName: f.Name}
			if run := failedRunDetail(ctx, client, "configure", jobLabels, f.Namespace); run != "" {
				line += "\n    " + strings.ReplaceAll(run, "\n", "\n    ")
			}
		}
		out = append(out, line)
	}
	return out
}

// bullets lists up to ten lines as an indented list.
func bullets(lines []string) string {
	const shown = 10
	var b strings.Builder
	for i, l := range lines {
		if i == shown {
			fmt.Fprintf(&b, "  ... and %d more\n", len(lines)-shown)
			break
		}
		b.WriteString("  - " + l + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
