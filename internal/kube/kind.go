package kube

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// crdGVR is read with the dynamic client: the typed apiextensions clientset
// would be a large dependency for three fields.
var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// maxDiscoveryPause bounds the pause between discovery lookups once the CRD
// is Established: discovery has no watch, and it catches up within a second
// or so.
const maxDiscoveryPause = time.Second

// WaitForKind waits, within ctx, until gvk is served: its CRD (matched on
// spec.group and spec.names.kind) is Established and serves the version, and
// discovery resolves the kind. A Promise installs its CRD asynchronously, so
// resources created in the same apply call this before their first request.
// Concurrent calls share one watch of the CRDs (see crdHub). When ctx ends,
// the *WaitError says what was still missing.
func (c *Client) WaitForKind(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	cl, err := c.init()
	if err != nil {
		return nil, err
	}
	op := discoveryOp(gvk, cl)
	m, err := c.mapping(ctx, cl, gvk)
	if err == nil || !meta.IsNoMatchError(err) {
		return m, translate(err, op)
	}
	// The waiter stays on the shared watch until discovery serves the kind,
	// not only until the CRD is ready: the other requests of the same new
	// Promise arrive meanwhile, and join it instead of starting another.
	s := c.crds.acquire(ctx, func(ctx context.Context, s *crdSession) { c.watchCRDs(ctx, cl, s) })
	defer c.crds.release(s)
	crd, err := c.waitForCRD(ctx, s, gvk)
	if err != nil {
		return nil, err
	}
	return c.waitForDiscovery(ctx, cl, gvk, op, crd)
}

// watchCRDs runs a session's list+watch of every CRD until the session is
// cancelled or the watch fails for good.
func (c *Client) watchCRDs(ctx context.Context, cl *clients, s *crdSession) {
	op := operation{verb: "watch", resource: crdGVR.GroupResource(), clusterScoped: true, host: cl.cfg.Host, plugin: cl.plugin,
		gvk: crdGVR.GroupVersion().WithKind("CustomResourceDefinition")}
	debug(ctx, c.log, "watching CustomResourceDefinitions for the kinds being waited for", nil)
	err := c.listWatch(ctx, cl.dynamic.Resource(crdGVR), op, "", observer{
		list: func(items []unstructured.Unstructured) (bool, error) { c.crds.replace(s, items); return false, nil },
		event: func(typ watch.EventType, obj *unstructured.Unstructured) (bool, error) {
			c.crds.event(s, typ, obj)
			return false, nil
		},
		transient: func(err error) { c.crds.transient(s, err) },
	}, nil)
	c.crds.end(s, err)
	debug(ctx, c.log, "stopped watching CustomResourceDefinitions", map[string]any{"reason": fmt.Sprint(err)})
}

// waitForCRD follows the shared session until gvk's CRD is ready, or the
// session cannot read CRDs at all.
func (c *Client) waitForCRD(ctx context.Context, s *crdSession, gvk schema.GroupVersionKind) (*crdState, error) {
	crd := &crdState{gvk: gvk}
	for {
		v := c.crds.view(s, gvk)
		crd.crd = v.crd
		switch {
		case ctx.Err() != nil:
			return nil, kindWaitError(gvk, crd.describe(), v.lastErr, ctx.Err())
		case v.ended && IsForbidden(v.err):
			// Reading CRDs is a privilege many users lack; discovery alone still
			// tells when the kind is served, just with a vaguer timeout message.
			warn(ctx, c.log, "cannot watch CustomResourceDefinitions; waiting on discovery only", map[string]any{"error": v.err.Error()})
			crd.forbidden = true
			return crd, nil
		case v.ended:
			return nil, v.err
		case v.listed && crd.ready():
			return crd, nil
		}
		select {
		case <-ctx.Done():
		case <-v.changed:
		}
	}
}

// waitForDiscovery looks the kind up until discovery lists it.
func (c *Client) waitForDiscovery(ctx context.Context, cl *clients, gvk schema.GroupVersionKind, op operation, crd *crdState) (*meta.RESTMapping, error) {
	for attempt := 1; ; attempt++ {
		m, err := c.mapping(ctx, cl, gvk)
		if err == nil || !meta.IsNoMatchError(err) {
			return m, translate(err, op)
		}
		if serr := c.retry.sleep(ctx, min(c.retry.delay(attempt), maxDiscoveryPause)); serr != nil {
			return nil, kindWaitError(gvk, crd.describe()+"; discovery does not list the kind yet", nil, serr)
		}
	}
}

func kindWaitError(gvk schema.GroupVersionKind, state string, lastErr, ctxErr error) error {
	return &WaitError{
		Waiting:   fmt.Sprintf("kind %s (%s) to be served", gvk.Kind, gvk.GroupVersion().String()),
		Observed:  true,
		LastState: state,
		LastErr:   lastErr,
		Err:       ctxErr,
	}
}

// crdState is the CRD that should provide gvk, as seen by the shared watch
// on all CRDs (its name, plural.group, is not known from the kind).
type crdState struct {
	gvk       schema.GroupVersionKind
	crd       *unstructured.Unstructured
	forbidden bool
}

func (s *crdState) matches(crd *unstructured.Unstructured) bool {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
	return group == s.gvk.Group && kind == s.gvk.Kind
}

func (s *crdState) ready() bool {
	if s.crd == nil {
		return false
	}
	established, ok := FindCondition(s.crd, "Established")
	return ok && established.IsTrue() && s.servesVersion()
}

func (s *crdState) servesVersion() bool {
	for _, v := range s.versions() {
		if v == s.gvk.Version {
			return true
		}
	}
	return false
}

// versions lists the versions the CRD serves.
func (s *crdState) versions() []string {
	raw, _, _ := unstructured.NestedSlice(s.crd.Object, "spec", "versions")
	var out []string
	for _, item := range raw {
		m, _ := item.(map[string]any)
		name, _ := m["name"].(string)
		if served, _ := m["served"].(bool); served && name != "" {
			out = append(out, name)
		}
	}
	return out
}

// describe says what is still missing, for the timeout message.
func (s *crdState) describe() string {
	switch {
	case s.forbidden:
		return "the provider may not read CustomResourceDefinitions, so the CRD's state is unknown"
	case s.crd == nil:
		return fmt.Sprintf("no CustomResourceDefinition with spec.group %q and spec.names.kind %q exists: "+
			"the Promise that provides it is not installed or has not created its CRD yet", s.gvk.Group, s.gvk.Kind)
	}
	name := s.crd.GetName()
	if established, ok := FindCondition(s.crd, "Established"); !ok || !established.IsTrue() {
		conds := []string{"none yet"}
		if len(Conditions(s.crd)) > 0 {
			conds = nil
		}
		for _, c := range Conditions(s.crd) {
			conds = append(conds, c.String())
		}
		return fmt.Sprintf("CustomResourceDefinition %q exists but is not Established (conditions: %s)",
			name, strings.Join(conds, "; "))
	}
	if !s.servesVersion() {
		return fmt.Sprintf("CustomResourceDefinition %q is Established but does not serve version %q (served: %s)",
			name, s.gvk.Version, strings.Join(s.versions(), ", "))
	}
	return fmt.Sprintf("CustomResourceDefinition %q is Established and serves %q", name, s.gvk.Version)
}
