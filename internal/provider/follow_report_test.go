package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

func TestReportFollow(t *testing.T) {
	request := &resourceRequestModel{Kind: types.StringValue("redis"), Namespace: types.StringValue("default"), Name: types.StringValue("cache")}
	watch := &kratix.RequestWatch{Generation: 2}
	timeline := kratix.NewTimeline(time.Unix(0, 0))
	timeline.Note(time.Unix(12, 0), `pipeline "configure" is running`)
	running := kratix.Outcome{State: kratix.Waiting, Summary: `pipeline "configure" is running`}
	deadline := fmt.Errorf("watching: %w", context.DeadlineExceeded)

	tests := []struct {
		name   string
		res    kratix.FollowResult
		report followReport
		want   []string // in the summary and detail, in this order; nil: no diagnostic
	}{
		{"done says nothing", kratix.FollowResult{Last: kratix.Outcome{State: kratix.Done}}, configureReport(request, watch, true), nil},
		{"a timeout in the subject's words, with the timeline and the advice",
			kratix.FollowResult{Last: running, Err: deadline, Timeline: timeline}, configureReport(request, watch, true),
			[]string{"Timed out waiting for redis default/cache", "generation 2 did not finish in time", "What the wait saw:", `+12s pipeline "configure" is running`, "What happens next"}},
		{"a failure with its run",
			kratix.FollowResult{Last: kratix.Outcome{State: kratix.Failed, Pipeline: "configure", Summary: `configure pipeline "configure" failed: boom`},
				FailedRun: &kratix.FailedRun{Pipeline: "configure", Detail: `Pipeline "configure" (Job default/j) failed: exit 1`}},
			configureReport(request, watch, false),
			[]string{"Configure workflow failed for redis default/cache", `failed: boom.`, `(Job default/j) failed: exit 1`, "keeps the new configuration"}},
		{"never picked up: the shared words",
			kratix.FollowResult{Last: running, NotPickedUp: true, Err: errors.New("connection refused")}, usableReport("redis", true),
			[]string{"Kratix did not pick up Promise redis", "connection refused", "kubectl -n kratix-platform-system get pods"}},
		{"an interrupted deletion has no words of its own: those of an error",
			kratix.FollowResult{Last: running, Err: context.Canceled}, requestDeletionReport(request, schema.GroupVersionKind{Kind: "redis"}),
			[]string{"Cannot follow the deletion of resource request redis default/cache", "context canceled"}},
		{"an error without words of its own: the shared words",
			kratix.FollowResult{Last: running, Err: errors.New("forbidden")}, usableReport("redis", false),
			[]string{"Error waiting for Promise redis", "forbidden"}},
		{"an interrupted Destination wait keeps the words of a timeout",
			kratix.FollowResult{Last: running, Err: context.Canceled}, destinationReadyReport("dev"),
			[]string{"Timed out waiting for Destination dev to become ready", "Last seen: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var diags diag.Diagnostics
			unfinished := reportFollow(tt.res.Decided(nil), tt.report, &diags)
			if tt.want == nil {
				if unfinished || diags.HasError() {
					t.Fatalf("want no diagnostic, got %v", diags)
				}
				return
			}
			if !unfinished || diags.ErrorsCount() != 1 {
				t.Fatalf("want one error, got %v", diags)
			}
			text := diags[0].Summary() + "\n" + diags[0].Detail()
			for _, w := range tt.want {
				i := strings.Index(text, w)
				if i < 0 {
					t.Fatalf("want %q in (after the earlier wants):\n%s", w, text)
				}
				text = text[i+len(w):]
			}
		})
	}
}
