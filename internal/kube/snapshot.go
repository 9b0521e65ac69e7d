package kube

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// SnapshotMaxAge bounds how long one listing of a kind answers refresh
// reads. A refresh reads its objects in one burst (a few hundred objects
// take a second or two once listed), so a few seconds are enough for the
// listing to serve the whole burst, while a read that comes later (the
// next command of a test that reuses the provider process, or a plan that
// refreshes again after a long wait) lists again instead of seeing an old
// answer. The Client itself lives for one configuration of the provider,
// so a snapshot never outlives the plan it was taken for either way.
const SnapshotMaxAge = 5 * time.Second

// snapshotKey names one listing: a kind (with the version it is read
// under) in one namespace ("" for cluster-scoped kinds).
type snapshotKey struct {
	gvk       schema.GroupVersionKind
	namespace string
}

// snapshot is one listing of a kind in a namespace, taken once and shared
// by every refresh read of that kind that arrives while it is fresh.
type snapshot struct {
	done  chan struct{} // closed when objs and err are set
	gen   uint64        // the kind's write generation when the listing began
	taken time.Time     // when the listing began
	objs  map[string]*unstructured.Unstructured
	err   error
	// forbidden: the credentials may get but not list the kind, which no
	// later listing through this Client will change; it is not tried
	// again until the provider writes the kind.
	forbidden bool
}

// snapshots holds the refresh listings of one Client.
type snapshots struct {
	mu      sync.Mutex
	now     func() time.Time
	maxAge  time.Duration
	gens    map[schema.GroupKind]uint64 // bumped after every write of the kind
	entries map[snapshotKey]*snapshot
}

func newSnapshots(now func() time.Time) *snapshots {
	if now == nil {
		now = time.Now
	}
	return &snapshots{now: now, maxAge: SnapshotMaxAge, gens: map[schema.GroupKind]uint64{}, entries: map[snapshotKey]*snapshot{}}
}

// invalidate forgets every listing of gk, in every namespace and under
// every version, and makes a listing still under way answer nobody: the
// provider wrote an object of that kind, and what it reads next must come
// from the API server.
func (s *snapshots) invalidate(gk schema.GroupKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gens[gk]++
	for k := range s.entries {
		if k.gvk.GroupKind() == gk {
			delete(s.entries, k)
		}
	}
}

// fresh reports whether e still answers reads; s.mu is held.
func (s *snapshots) fresh(key snapshotKey, e *snapshot) bool {
	if e.gen != s.gens[key.gvk.GroupKind()] {
		return false
	}
	select {
	case <-e.done:
		return e.forbidden || s.now().Sub(e.taken) < s.maxAge
	default:
		return true // being listed: join it
	}
}

// get returns the listing for key, taking it with list when there is no
// fresh one; callers that arrive while it is taken wait for it. The error
// is the caller's own ctx ending while it waited; a failed listing is
// returned as the snapshot's err, for the caller to read the object
// another way.
func (s *snapshots) get(ctx context.Context, key snapshotKey, list func(ctx context.Context) (map[string]*unstructured.Unstructured, error)) (*snapshot, error) {
	s.mu.Lock()
	e := s.entries[key]
	mine := e == nil || !s.fresh(key, e)
	if mine {
		e = &snapshot{done: make(chan struct{}), gen: s.gens[key.gvk.GroupKind()], taken: s.now()}
		s.entries[key] = e
	}
	s.mu.Unlock()
	if mine {
		objs, err := list(ctx)
		s.mu.Lock()
		e.objs, e.err, e.forbidden = objs, err, IsForbidden(err)
		if err != nil && ctx.Err() != nil && s.entries[key] == e {
			delete(s.entries, key) // this caller's deadline, not an answer to share
		}
		s.mu.Unlock()
		close(e.done)
		return e, nil
	}
	select {
	case <-e.done:
		return e, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// current reports whether no write of e's kind happened since e began.
func (s *snapshots) current(key snapshotKey, e *snapshot) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return e.gen == s.gens[key.gvk.GroupKind()]
}

// GetForRefresh is GetWhenServed for the refresh of many objects of one
// kind: the first call for a kind (in a namespace) lists the kind there,
// page by page, and the calls that follow within SnapshotMaxAge are
// answered from that listing, so refreshing N objects costs one listing
// instead of N reads. Calls that arrive while the listing is taken wait
// for it.
//
// The listing only ever saves reads; it never decides that an object is
// gone. An object it lacks, a listing that failed (the credentials may
// not list the kind, say) and a listing taken before the provider wrote
// the kind through this Client are all answered by GetWhenServed, with
// its errors: only a GET that finds nothing gives IsNotFound.
//
// Only refreshes should use it; waits and follows read the object
// itself.
func (c *Client) GetForRefresh(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	if obj := c.fromSnapshot(ctx, gvk, namespace, name); obj != nil {
		return obj, nil
	}
	if ctx.Err() != nil {
		return nil, c.Abandoned(ctx, gvk, name)
	}
	return c.GetWhenServed(ctx, gvk, namespace, name)
}

// fromSnapshot is the object from the kind's listing, or nil when the
// listing cannot say (see GetForRefresh).
func (c *Client) fromSnapshot(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) *unstructured.Unstructured {
	ri, op, err := c.objectResource(ctx, "list", gvk, namespace, "")
	if err != nil {
		return nil // GetWhenServed says why, or waits for the kind
	}
	key := snapshotKey{gvk: gvk, namespace: op.namespace}
	e, err := c.snaps.get(ctx, key, func(ctx context.Context) (map[string]*unstructured.Unstructured, error) {
		objs := map[string]*unstructured.Unstructured{}
		pages := 0
		err := c.listPagesOn(ctx, ri, op, gvk, metav1.ListOptions{}, func(items []unstructured.Unstructured) bool {
			pages++
			for i := range items {
				objs[items[i].GetName()] = &items[i]
			}
			return true
		})
		fields := map[string]any{"kind": gvk.Kind, "apiVersion": gvk.GroupVersion().String(), "namespace": op.namespace,
			"objects": len(objs), "pages": pages}
		if err != nil {
			fields["error"] = err.Error()
			debug(ctx, c.log, fmt.Sprintf("cannot list kind %s for the refresh; reading its objects one by one", gvk.Kind), fields)
			return nil, err
		}
		debug(ctx, c.log, fmt.Sprintf("listed kind %s: %d objects, %d pages", gvk.Kind, len(objs), pages), fields)
		return objs, nil
	})
	if err != nil || e.err != nil || !c.snaps.current(key, e) {
		return nil
	}
	obj, ok := e.objs[name]
	if !ok {
		debug(ctx, c.log, "object not in the kind's listing; reading it", map[string]any{
			"kind": gvk.Kind, "namespace": op.namespace, "name": name,
		})
		return nil
	}
	return obj.DeepCopy()
}

// wrote marks a write of gvk through this Client: refresh reads of the
// kind no longer come from a listing taken before it. A dry run persists
// nothing, so it leaves the listings alone: a plan checks each changed
// request with a dry run between the refreshes of the others, and those
// refreshes must still come from one listing (with a dry run counted as a
// write, a plan changing 500 requests listed the kind 217 times).
func (c *Client) wrote(gvk schema.GroupVersionKind, dryRun bool) {
	if !dryRun {
		c.snaps.invalidate(gvk.GroupKind())
	}
}
