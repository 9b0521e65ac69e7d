package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// liveReadiness names an output that shows Kratix's live readiness of a
// Destination or state store, and the object it reads.
type liveReadiness struct {
	Output string
	Kind   string // "Destination", "GitStateStore" or "BucketStateStore"
	Name   string
}

// expectEmptyPlanButLiveReadiness is plancheck.ExpectEmptyPlan, except
// that the given readiness outputs may change. Kratix re-checks a
// Destination or store by writing to its repository, and such a write that
// loses a race with another of Kratix's own writes there (a rejected,
// non-fast-forward push, which Kratix retries 15 s later) reports the
// object not ready meanwhile (Kratix 2025-09 and 2026 alike: lib/writers).
// A readiness output that changed is logged with the object's conditions,
// so that a change for another reason can be told apart; every resource
// change and every other output change still fails the check.
// terraform-plugin-testing's own check of the refresh plan, which runs
// after this one, still fails on any output change: a test that uses this
// waits for the objects to be ready again first (waitLiveReady), and this
// check then says what Kratix reported if they turned not ready once more.
func expectEmptyPlanButLiveReadiness(t *testing.T, live ...liveReadiness) plancheck.PlanCheck {
	c := liveReadinessCheck{t: t, live: live}
	c.describe = c.conditions
	return c
}

type liveReadinessCheck struct {
	t    *testing.T
	live []liveReadiness
	// describe says what Kratix reports about an object now.
	describe func(context.Context, liveReadiness) string
}

func (c liveReadinessCheck) CheckPlan(ctx context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	var changed []string
	for _, rc := range req.Plan.ResourceChanges {
		if !rc.Change.Actions.NoOp() {
			changed = append(changed, fmt.Sprintf("%s has planned action(s): %v", rc.Address, rc.Change.Actions))
		}
	}
	for name, oc := range req.Plan.OutputChanges {
		if oc.Actions.NoOp() {
			continue
		}
		if l, ok := c.liveOutput(name); ok {
			c.t.Logf("output %q changed on the refresh after apply (%v -> %v); Kratix now reports %s", name, oc.Before, oc.After, c.describe(ctx, l))
			continue
		}
		changed = append(changed, fmt.Sprintf("output %q has planned action(s): %v", name, oc.Actions))
	}
	if len(changed) > 0 {
		sort.Strings(changed)
		resp.Error = fmt.Errorf("expected an empty plan, but %s", strings.Join(changed, "; "))
	}
}

func (c liveReadinessCheck) liveOutput(name string) (liveReadiness, bool) {
	for _, l := range c.live {
		if l.Output == name {
			return l, true
		}
	}
	return liveReadiness{}, false
}

// conditions reads the object's Ready condition as Kratix reports it now.
func (c liveReadinessCheck) conditions(ctx context.Context, l liveReadiness) string {
	r, err := readLiveReadiness(ctx, c.t, l)
	return fmt.Sprintf("%s %s %s", l.Kind, l.Name, describeReadiness(r, err))
}

// readLiveReadiness reads the object's readiness as Kratix reports it now.
func readLiveReadiness(ctx context.Context, t *testing.T, l liveReadiness) (kratix.Readiness, error) {
	gvr := schema.GroupVersionResource{Group: kratix.Group, Version: kratix.Version, Resource: strings.ToLower(l.Kind) + "s"}
	obj, err := harness.Current().Dynamic(t).Resource(gvr).Get(ctx, l.Name, metav1.GetOptions{})
	if err != nil {
		return kratix.Readiness{}, fmt.Errorf("reading %s %s: %w", l.Kind, l.Name, err)
	}
	if l.Kind == kratix.DestinationGVK.Kind {
		return kratix.DestinationReadiness(obj), nil
	}
	return kratix.StateStoreReadiness(obj), nil
}

// waitLiveReady waits, after an apply that left the objects ready, until
// Kratix reports each of them ready again, so that the refresh that
// follows sees them as the apply did. Kratix re-checks a store or
// Destination by writing to its repository, and such a check can fail for
// a moment and be retried (a push rejected as non-fast-forward, or go-git
// failing with "packfile not found" while cloning a repository that is
// being pushed to); terraform-plugin-testing's own check of the refresh
// plan fails on the changed output that this shows. An object still not
// ready after a minute fails the check.
func waitLiveReady(t *testing.T, live ...liveReadiness) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, l := range live {
			if err := waitLiveReadyOne(ctx, t, l); err != nil {
				return err
			}
		}
		return nil
	}
}

// waitLiveReadyOne polls one object's readiness each second until it is ready or
// ctx ends.
func waitLiveReadyOne(ctx context.Context, t *testing.T, l liveReadiness) error {
	for waited := false; ; waited = true {
		r, err := readLiveReadiness(ctx, t, l)
		switch {
		case err == nil && r.Ready:
			if waited {
				t.Logf("%s %s is ready again", l.Kind, l.Name)
			}
			return nil
		case !waited:
			t.Logf("%s %s is not ready after the apply (%s); waiting for Kratix to check it again", l.Kind, l.Name, describeReadiness(r, err))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s is still not ready a minute after the apply: %s", l.Kind, l.Name, describeReadiness(r, err))
		case <-time.After(time.Second):
		}
	}
}

func describeReadiness(r kratix.Readiness, err error) string {
	if err != nil {
		return err.Error()
	}
	return r.Summary()
}

func TestLiveReadinessCheck(t *testing.T) {
	check := liveReadinessCheck{t: t, live: []liveReadiness{{Output: "ready", Kind: "Destination", Name: "d"}},
		describe: func(context.Context, liveReadiness) string { return "Ready=False (StateStoreWriteFailed)" }}
	update := tfjson.Actions{tfjson.ActionUpdate}
	noop := tfjson.Actions{tfjson.ActionNoop}
	for name, tc := range map[string]struct {
		plan    tfjson.Plan
		wantErr string
	}{
		"empty": {plan: tfjson.Plan{}},
		"live readiness output changed": {plan: tfjson.Plan{OutputChanges: map[string]*tfjson.Change{
			"ready": {Actions: update, Before: true, After: false}}}},
		"another output changed": {plan: tfjson.Plan{OutputChanges: map[string]*tfjson.Change{
			"ready": {Actions: noop}, "other": {Actions: update}}}, wantErr: `output "other" has planned action(s): [update]`},
		"a resource changes": {plan: tfjson.Plan{ResourceChanges: []*tfjson.ResourceChange{
			{Address: "kratix_destination.d", Change: &tfjson.Change{Actions: update}}}}, wantErr: "kratix_destination.d has planned action(s): [update]"},
	} {
		t.Run(name, func(t *testing.T) {
			var resp plancheck.CheckPlanResponse
			check.CheckPlan(context.Background(), plancheck.CheckPlanRequest{Plan: &tc.plan}, &resp)
			switch {
			case tc.wantErr == "" && resp.Error != nil:
				t.Fatalf("unexpected error: %v", resp.Error)
			case tc.wantErr != "" && (resp.Error == nil || !strings.Contains(resp.Error.Error(), tc.wantErr)):
				t.Fatalf("error %v, want one containing %q", resp.Error, tc.wantErr)
			}
		})
	}
}
