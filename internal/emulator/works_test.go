package emulator

import (
	"maps"
	"testing"
)

func TestPromiseSelectorsFirstWins(t *testing.T) {
	spec := map[string]any{"destinationSelectors": []any{
		map[string]any{"matchLabels": map[string]any{"env": "dev", "a": "1"}},
		map[string]any{"matchLabels": map[string]any{"env": "prod", "b": "2"}},
	}}
	got := promiseSelectors(spec)
	if got["env"] != "dev" || got["a"] != "1" || got["b"] != "2" {
		t.Fatalf("got %v", got)
	}
}

// TestGroupSelectorsPriority: on a key set by several sources the Promise's
// selector wins, then the promise workflow's, then the resource workflow's
// (Kratix: resolveDestinationSelectorsForWorkloadGroup), and keys set by
// one source only are all kept, whatever the order of the entries.
func TestGroupSelectorsPriority(t *testing.T) {
	group := map[string]any{"destinationSelectors": []any{
		map[string]any{"matchLabels": map[string]any{"env": "from-promise", "zone": "a"}, "source": "promise"},
		map[string]any{"matchLabels": map[string]any{"env": "from-promise-workflow", "tier": "from-promise-workflow"}, "source": "promise-workflow"},
		map[string]any{"matchLabels": map[string]any{"env": "from-resource-workflow", "tier": "from-resource-workflow", "team": "x"}, "source": "resource-workflow"},
	}}
	got := groupSelectors(group)
	want := map[string]string{"env": "from-promise", "zone": "a", "tier": "from-promise-workflow", "team": "x"}
	if !maps.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestWorksSucceededAndReconciled(t *testing.T) {
	cases := []struct {
		r                         worksReadiness
		status, reason, reconcile string
	}{
		{worksReadiness{ready: []string{"w"}}, "True", "WorksSucceeded", "True/Reconciled"},
		{worksReadiness{}, "True", "WorksSucceeded", "True/Reconciled"},
		{worksReadiness{pending: []string{"w1", "w2"}}, "Unknown", "WorksPending", "Unknown/WorksPending"},
		{worksReadiness{failed: []string{"w"}, pending: []string{"x"}}, "False", "WorksFailing", "False/WorksFailing"},
		{worksReadiness{misplaced: []string{"w"}}, "False", "WorksMisplaced", "False/WorksFailing"},
	}
	for _, tc := range cases {
		c := tc.r.worksSucceeded("resource")
		if c.Status != tc.status || c.Reason != tc.reason {
			t.Errorf("%+v: got %+v", tc.r, c)
		}
		status := map[string]any{}
		setCondition(status, condition{Type: condConfigureWorkflowCompleted, Status: "True", Reason: "PipelinesExecutedSuccessfully"}, onAnyChange)
		setCondition(status, c, onAnyChange)
		rc, ok := reconciledCondition(status)
		if !ok || rc.Status+"/"+rc.Reason != tc.reconcile {
			t.Errorf("%+v: Reconciled %+v", tc.r, rc)
		}
	}
	if c := (worksReadiness{pending: []string{"w1", "w2"}}).worksSucceeded("promise"); c.Message != "Some works associated with this promise are not ready: [w1,w2]" {
		t.Errorf("message %q", c.Message)
	}
	running := map[string]any{}
	setCondition(running, condition{Type: condConfigureWorkflowCompleted, Status: "False", Reason: "PipelinesInProgress"}, onAnyChange)
	if rc, _ := reconciledCondition(running); rc.Reason != "WorkflowPending" || rc.Message != "Pending" {
		t.Errorf("running: %+v", rc)
	}
	failed := map[string]any{}
	setCondition(failed, condition{Type: condConfigureWorkflowCompleted, Status: "False", Reason: "ConfigureWorkflowFailed"}, onAnyChange)
	if rc, _ := reconciledCondition(failed); rc.Status != "False" || rc.Reason != "ConfigureWorkflowFailed" || rc.Message != "Failing" {
		t.Errorf("failed: %+v", rc)
	}
	noWorkflow := map[string]any{}
	setCondition(noWorkflow, condition{Type: condWorksSucceeded, Status: "True", Reason: "WorksSucceeded"}, onAnyChange)
	if _, ok := reconciledCondition(noWorkflow); ok {
		t.Error("without ConfigureWorkflowCompleted, Kratix leaves Reconciled alone")
	}
}

func TestRequiredSecretKeys(t *testing.T) {
	for _, tc := range []struct {
		kind, method string
		want         int
	}{
		{"GitStateStore", "", 2}, {"GitStateStore", "basicAuth", 2}, {"GitStateStore", "ssh", 2},
		{"GitStateStore", "githubApp", 3}, {"BucketStateStore", "", 2}, {"BucketStateStore", "IAM", 0},
	} {
		if got := requiredSecretKeys(tc.kind, tc.method); len(got) != tc.want {
			t.Errorf("%s/%s: %v", tc.kind, tc.method, got)
		}
	}
}
