package kratix

import (
	"context"
	"fmt"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// RequestsRerun follows every resource request of a Promise after an update
// of the Promise's spec, and decides when each has run its configure
// workflow again. Kratix re-runs them all: its Promise controller labels
// every request and only then sets the Promise's status.observedGeneration
// (promise_controller.go, reconcileResources and reconcileAllRRs). Kratix
// 2025-09 labels them kratix.io/manual-reconciliation=true, and each
// request's controller sets ConfigureWorkflowCompleted=False before it
// removes the label; Kratix 2026 labels them
// kratix.io/workflow-run-from-start=true, and removes that label first,
// creates the Job and only then, a second later, resets the condition
// (lib/workflow/reconciler.go, createConfigurePipeline). So once the
// Promise has observed its generation, a request has re-run when the label
// is gone and a completion newer than the update shows: the rule of
// RequestWatch with Rerun set. Feed it every listing, in order.
type RequestsRerun struct {
	// Since is when the Promise update was applied. It may be set after
	// Baseline, before the first Observe.
	Since   time.Time
	watches map[string]*RequestWatch
}

// Baseline records the requests as they were listed before the Promise
// update (see RequestWatch.Baseline).
func (r *RequestsRerun) Baseline(items []unstructured.Unstructured) {
	for i := range items {
		r.watch(&items[i]).Baseline(&items[i])
	}
}

func (r *RequestsRerun) watch(obj *unstructured.Unstructured) *RequestWatch {
	if r.watches == nil {
		r.watches = map[string]*RequestWatch{}
	}
	key := obj.GetNamespace() + "/" + obj.GetName()
	w, ok := r.watches[key]
	if !ok {
		w = &RequestWatch{Generation: obj.GetGeneration(), Rerun: true}
		r.watches[key] = w
	}
	// A watch made by Baseline, before the update was written, learns
	// when it was: with no time, the completion from before the update
	// would count as the re-run's.
	if w.AppliedAt.IsZero() {
		w.AppliedAt = r.Since
	}
	return w
}

// RerunProgress is one listing's verdict.
type RerunProgress struct {
	Total int
	Done  int
	// Pending and Blocked describe requests as "namespace/name: what it is
	// doing", sorted.
	Pending []string
	// Failed are the requests whose re-run failed, sorted.
	Failed []RerunFailure
	// Blocked requests will not re-run on their own (paused, suspended,
	// their Promise unavailable); the wait does not wait for them.
	Blocked []string
}

// RerunFailure is a request whose re-run failed.
type RerunFailure struct {
	Namespace, Name string
	// Summary names the failed pipeline and carries its message.
	Summary string
}

func (f RerunFailure) String() string { return f.Namespace + "/" + f.Name + ": " + f.Summary }

// Finished says no request is left to wait for.
func (p RerunProgress) Finished() bool { return len(p.Pending) == 0 }

// Observe evaluates one listing of the Promise's requests. Requests being
// deleted are not waited for.
func (r *RequestsRerun) Observe(items []unstructured.Unstructured) RerunProgress {
	var p RerunProgress
	for i := range items {
		obj := &items[i]
		if obj.GetDeletionTimestamp() != nil {
			continue
		}
		p.Total++
		r.observeOne(obj, &p)
	}
	sort.Strings(p.Pending)
	sort.Slice(p.Failed, func(i, j int) bool { return p.Failed[i].String() < p.Failed[j].String() })
	sort.Strings(p.Blocked)
	return p
}

func (r *RequestsRerun) observeOne(obj *unstructured.Unstructured, p *RerunProgress) {
	key := obj.GetNamespace() + "/" + obj.GetName()
	out := r.watch(obj).Observe(obj)
	switch out.State {
	case Done:
		p.Done++
	case Failed:
		p.Failed = append(p.Failed, RerunFailure{Namespace: obj.GetNamespace(), Name: obj.GetName(), Summary: out.Summary})
	default:
		if blocked, ok := blockedSummary(obj); ok {
			p.Blocked = append(p.Blocked, key+": "+blocked)
			return
		}
		p.Pending = append(p.Pending, key+": "+out.Summary)
	}
}

// FollowRequestsRerun lists the requests (of kind gvk, in namespace or all
// namespaces when empty, matching opts) every interval and feeds them to
// rerun until none is left to wait for or ctx ends. progress is called
// with each listing's verdict.
func FollowRequestsRerun(ctx context.Context, c *kube.Client, gvk schema.GroupVersionKind, namespace string, opts metav1.ListOptions,
	rerun *RequestsRerun, interval time.Duration, progress func(RerunProgress)) (RerunProgress, error) {
	for {
		list, err := c.List(ctx, gvk, namespace, opts)
		if err != nil {
			return RerunProgress{}, err
		}
		p := rerun.Observe(list.Items)
		progress(p)
		if p.Finished() {
			return p, nil
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// MarkRequestsForRerun gives every listed request the label
// kratix.io/manual-reconciliation=true, which makes Kratix run its
// configure workflow again, and returns how many it labelled. It leaves
// out requests being deleted, deleted or changed meanwhile, and those that
// cannot run now (paused, suspended, their Promise unavailable): Kratix
// would keep their label, and they are reported as blocked instead.
func MarkRequestsForRerun(ctx context.Context, c *kube.Client, fieldManager string, gvk schema.GroupVersionKind, items []unstructured.Unstructured) (int, error) {
	marked := 0
	for i := range items {
		obj := &items[i]
		if _, blocked := blockedSummary(obj); blocked || obj.GetDeletionTimestamp() != nil {
			continue
		}
		_, err := c.MergePatch(ctx, gvk, obj.GetNamespace(), obj.GetName(), RerunPatch(string(obj.GetUID())), kube.WriteOptions{FieldManager: fieldManager})
		switch {
		case kube.IsNotFound(err) || kube.IsConflict(err):
			continue
		case err != nil:
			return marked, fmt.Errorf("labelling %s/%s: %w", obj.GetNamespace(), obj.GetName(), err)
		}
		marked++
	}
	return marked, nil
}

// Blocked says why Kratix will not run the object's workflow now (paused,
// suspended, its Promise unavailable), if it will not.
func Blocked(obj *unstructured.Unstructured) (string, bool) { return blockedSummary(obj) }
