package kratix

import (
	"fmt"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RequestsRerun follows every resource request of a Promise after an update
// of the Promise's spec, and decides when each has run its configure
// workflow again. Kratix re-runs them all: its Promise controller labels
// every request with kratix.io/manual-reconciliation=true and only then
// sets the Promise's status.observedGeneration (promise_controller.go,
// reconcileResources and reconcileAllRRs); each request's controller sets
// ConfigureWorkflowCompleted=False before it removes the label
// (lib/workflow/reconciler.go, createConfigurePipeline). So once the
// Promise has observed its generation, a request has re-run when the label
// is gone and a completion newer than the update shows: the rule of
// RequestWatch with Rerun set. Feed it every listing, in order.
type RequestsRerun struct {
	// Since is when the Promise update was applied.
	Since   time.Time
	watches map[string]*RequestWatch
}

// RerunProgress is one listing's verdict.
type RerunProgress struct {
	Total int
	Done  int
	// Pending, Failed and Blocked describe requests as "namespace/name:
	// what it is doing", sorted.
	Pending []string
	Failed  []string
	// Blocked requests will not re-run on their own (paused, suspended,
	// their Promise unavailable); the wait does not wait for them.
	Blocked []string
}

// Finished says no request is left to wait for.
func (p RerunProgress) Finished() bool { return len(p.Pending) == 0 }

// Observe evaluates one listing of the Promise's requests. Requests being
// deleted are not waited for.
func (r *RequestsRerun) Observe(items []unstructured.Unstructured) RerunProgress {
	if r.watches == nil {
		r.watches = map[string]*RequestWatch{}
	}
	var p RerunProgress
	for i := range items {
		obj := &items[i]
		if obj.GetDeletionTimestamp() != nil {
			continue
		}
		p.Total++
		key := obj.GetNamespace() + "/" + obj.GetName()
		r.observeOne(key, obj, &p)
	}
	sort.Strings(p.Pending)
	sort.Strings(p.Failed)
	sort.Strings(p.Blocked)
	return p
}

func (r *RequestsRerun) observeOne(key string, obj *unstructured.Unstructured, p *RerunProgress) {
	w, ok := r.watches[key]
	if !ok {
		w = &RequestWatch{Generation: obj.GetGeneration(), AppliedAt: r.Since, Rerun: true}
		r.watches[key] = w
	}
	out := w.Observe(obj)
	if obj.GetLabels()[LabelManualReconciliation] == "true" {
		p.Pending = append(p.Pending, key+": waiting for Kratix to start the re-run")
		return
	}
	switch out.State {
	case Done:
		p.Done++
	case Failed:
		p.Failed = append(p.Failed, fmt.Sprintf("%s: %s", key, out.Summary))
	default:
		if blocked, ok := blockedSummary(obj); ok {
			p.Blocked = append(p.Blocked, key+": "+blocked)
			return
		}
		p.Pending = append(p.Pending, key+": "+out.Summary)
	}
}
