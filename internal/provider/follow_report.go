package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// followMessage words one ending of a follow: a summary and a detail.
type followMessage func(res kratix.FollowResult) (summary, detail string)

// followReport is what a resource, data source or action says about the
// object it followed, ending by ending. The wording is each subject's own
// (acceptance tests match it); which ending gets which words, and what an
// ending without words of its own gets, is decided in reportFollow alone.
type followReport struct {
	// what names the object in the shared messages: "Promise redis".
	what string
	// The subject's words for each ending; nil means "as errored says"
	// (a deletion has nothing particular to say about an interruption).
	failed, suspended, undeliverable, timedOut, interrupted, errored followMessage
	// advice, when set, ends the detail of every error: what the next
	// apply does with an object whose wait did not finish.
	advice string
}

// reportFollow turns how a follow ended into diagnostics: none when it is
// done, one error otherwise. It reports whether the follow ended short of
// done. It is the one place that maps endings to words.
func reportFollow(res kratix.FollowResult, r followReport, diags *diag.Diagnostics) (unfinished bool) {
	var msg followMessage
	switch res.Ending {
	case kratix.EndDone:
		return false
	case kratix.EndStuck:
		msg = r.notPickedUp
	case kratix.EndFailed:
		msg = r.failed
	case kratix.EndSuspended:
		msg = r.suspended
	case kratix.EndUndeliverable:
		msg = r.undeliverable
	case kratix.EndTimedOut:
		msg = r.timedOut
	case kratix.EndInterrupted:
		msg = r.interrupted
	}
	if msg == nil {
		msg = r.errored
	}
	if msg == nil {
		msg = r.erroredDefault
	}
	summary, detail := msg(res)
	if r.advice != "" {
		detail += "\n\n" + r.advice
	}
	diags.AddError(summary, detail)
	return true
}

// erroredDefault is the words for a follow that failed by itself.
func (r followReport) erroredDefault(res kratix.FollowResult) (string, string) {
	return "Error waiting for " + r.what, followErr(res)
}

// followErr is the follow's own error in words.
func followErr(res kratix.FollowResult) string {
	if res.Err == nil {
		return "the wait ended without a result"
	}
	return res.Err.Error()
}

// followHistory is the timeline of a follow, as the end of a detail.
func followHistory(res kratix.FollowResult) string {
	if res.Timeline == nil {
		return ""
	}
	return "\n\nWhat the wait saw:\n" + res.Timeline.String()
}

// failedRunText is the failed run's detail as a paragraph of its own, ""
// when there is none.
func failedRunText(res kratix.FollowResult) string {
	if res.FailedRun == nil {
		return ""
	}
	return withDetail("", res.FailedRun.Detail)
}

// withFailedRun finds, for a follow that ended failed, the failed Job of
// the workflow action (configure or delete) among the Jobs with the labels
// and says which container failed and why.
func withFailedRun(ctx context.Context, client *kube.Client, res kratix.FollowResult, action string, labels map[string]string, namespace string) kratix.FollowResult {
	if res.Ending == kratix.EndFailed {
		res.FailedRun = &kratix.FailedRun{Pipeline: res.Last.Pipeline, Detail: failedRunDetail(ctx, client, action, labels, namespace)}
	}
	return res
}
