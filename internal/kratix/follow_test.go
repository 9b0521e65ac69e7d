package kratix

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestDecide(t *testing.T) {
	waiting := Outcome{State: Waiting, Summary: `pipeline "configure" is running`}
	done := Outcome{State: Done, Summary: "configure workflow completed"}
	failed := Outcome{State: Failed, Pipeline: "configure", Summary: `configure pipeline "configure" failed: boom`}
	suspended := Outcome{State: Failed, Suspended: true, Pipeline: "approve", Summary: `pipeline "approve" suspended the workflow: wait`}
	deadline := fmt.Errorf("watching redis default/r: %w", context.DeadlineExceeded)
	canceled := fmt.Errorf("watching redis default/r: %w", context.Canceled)
	forbidden := errors.New(`redis.marketplace.kratix.io "r" is forbidden`)

	tests := []struct {
		name   string
		result FollowResult
		ctxErr error
		want   Ending
	}{
		{"done", FollowResult{Last: done}, nil, EndDone},
		{"done just as the deadline passed", FollowResult{Last: done}, context.DeadlineExceeded, EndDone},
		{"done but the wait failed", FollowResult{Last: done, Err: forbidden}, nil, EndError},
		{"failed", FollowResult{Last: failed}, nil, EndFailed},
		{"a failure beats the timeout it ended with", FollowResult{Last: failed, Err: deadline}, context.DeadlineExceeded, EndFailed},
		{"suspended", FollowResult{Last: suspended}, nil, EndSuspended},
		{"timed out, said by the wait", FollowResult{Last: waiting, Err: deadline}, nil, EndTimedOut},
		{"timed out, said by the context", FollowResult{Last: waiting, Err: forbidden}, context.DeadlineExceeded, EndTimedOut},
		{"interrupted, said by the wait", FollowResult{Last: waiting, Err: canceled}, nil, EndInterrupted},
		{"interrupted, said by the context", FollowResult{Last: waiting, Err: forbidden}, context.Canceled, EndInterrupted},
		{"the wait's own error", FollowResult{Last: waiting, Err: forbidden}, nil, EndError},
		{"no result and no error", FollowResult{Last: waiting}, nil, EndError},
		{"never picked up", FollowResult{Last: waiting, NotPickedUp: true, Err: canceled}, nil, EndStuck},
		{"picked up in the end: what it said counts", FollowResult{Last: failed, NotPickedUp: true}, nil, EndFailed},
		{"undeliverable", FollowResult{Last: Outcome{State: Waiting, Delivering: true}, Undeliverable: "no Destination matches", Err: canceled}, nil, EndUndeliverable},
		{"never picked up comes before undeliverable", FollowResult{Last: waiting, NotPickedUp: true, Undeliverable: "x"}, nil, EndStuck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.result, tt.ctxErr); got != tt.want {
				t.Errorf("Decide = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRerunResult(t *testing.T) {
	failure := RerunFailure{Namespace: "default", Name: "a", Summary: "boom"}
	tests := []struct {
		name     string
		progress RerunProgress
		err      error
		ctxErr   error
		want     Ending
	}{
		{"all re-ran", RerunProgress{Total: 2, Done: 2}, nil, nil, EndDone},
		{"some failed", RerunProgress{Total: 2, Done: 1, Failed: []RerunFailure{failure}}, nil, nil, EndFailed},
		{"still waiting at the deadline", RerunProgress{Total: 2, Pending: []string{"default/b: running"}, Failed: []RerunFailure{failure}},
			context.DeadlineExceeded, context.DeadlineExceeded, EndTimedOut},
		{"the list failed", RerunProgress{}, errors.New("forbidden"), nil, EndError},
		{"interrupted", RerunProgress{Pending: []string{"x"}}, context.Canceled, context.Canceled, EndInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RerunResult(tt.progress, tt.err, tt.ctxErr)
			if got.Ending != tt.want {
				t.Errorf("Ending = %s, want %s", got.Ending, tt.want)
			}
			if got.Requests == nil || got.Requests.Total != tt.progress.Total {
				t.Errorf("Requests = %+v, want the progress", got.Requests)
			}
		})
	}
}
