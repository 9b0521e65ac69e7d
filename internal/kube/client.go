package kube

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Logger receives the package's diagnostics; the provider layer adapts it to
// tflog. Fields never contain credentials.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
	Warn(ctx context.Context, msg string, fields map[string]any)
}

// Options tunes a Client. The zero value is fine.
type Options struct {
	Logger       Logger       // nil means no logging
	RetryBackoff wait.Backoff // zero means DefaultBackoff; Steps is the maximum number of attempts
	// Dial opens every connection the Client makes; nil means the default
	// dialer. Tests use it to see where the Client connects, or that it
	// does not.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Now is the local clock; nil means time.Now. Tests set a clock that
	// is off, to show that nothing compares it with the server's times.
	Now func() time.Time
}

// Client is shared by every resource and data source of one provider
// instance and is safe for concurrent use. Nothing is resolved or dialled
// until the first call that needs the cluster, so a provider whose
// configuration is only known at apply time can still plan.
type Client struct {
	log   Logger
	retry retrier
	// init resolves the configuration and builds the clients exactly once;
	// its error, if any, is returned to every caller.
	init func() (*clients, error)

	mapperMu  sync.Mutex
	mapperGen uint64 // bumped on every discovery reset, to coalesce concurrent resets

	crds crdHub // the CRD watch that WaitForKind calls share

	clock *serverClock

	snaps *snapshots // the refresh listings (GetForRefresh)
}

// clients is everything built from one rest.Config.
type clients struct {
	cfg       *rest.Config
	dynamic   dynamic.Interface
	metadata  metadata.Interface
	discovery discovery.CachedDiscoveryInterface
	mapper    meta.ResettableRESTMapper
	plugin    *execPlugin // nil without a credential plugin
}

// New returns a Client for the settings. It does no I/O and cannot fail; a
// configuration error surfaces from the first method that needs the cluster.
func New(s Settings, opts Options) *Client {
	return newClient(s.RESTConfig, opts)
}

// NewForConfig returns a Client for an already resolved rest.Config (tests,
// or callers that build their own). Zero QPS/Burst get the package defaults.
func NewForConfig(cfg *rest.Config, opts Options) *Client {
	cfg = rest.CopyConfig(cfg)
	Settings{QPS: cfg.QPS, Burst: cfg.Burst, UserAgent: cfg.UserAgent}.applyTuning(cfg)
	return newClient(func() (*rest.Config, error) { return cfg, nil }, opts)
}

func newClient(resolve func() (*rest.Config, error), opts Options) *Client {
	c := &Client{log: opts.Logger, retry: newRetrier(opts.RetryBackoff, opts.Logger), clock: newServerClock(opts.Now), snaps: newSnapshots(nil)}
	reach := newReachability(opts.Logger)
	c.retry.reach = reach
	c.init = sync.OnceValues(func() (*clients, error) {
		cfg, err := resolve()
		if err != nil {
			return nil, err
		}
		cfg = rest.CopyConfig(cfg)
		if opts.Dial != nil {
			cfg.Dial = opts.Dial
		}
		reach.host = cfg.Host
		cfg.Wrap(reach.wrap)
		cfg.Wrap(c.clock.wrap)
		return buildClients(cfg, opts.Logger)
	})
	return c
}

// buildClients creates the dynamic client and one memory-cached discovery
// client behind a deferred REST mapper. Discovery is fetched on first use and
// then cached for the life of the Client; only a "no matches for kind" miss
// resets it. The OpenAPI documents are never fetched.
func buildClients(cfg *rest.Config, log Logger) (*clients, error) {
	cfg = rest.CopyConfig(cfg)
	if log != nil {
		cfg.WarningHandlerWithContext = warningLogger{log}
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the Kubernetes client for %s: %w", cfg.Host, err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the Kubernetes metadata client for %s: %w", cfg.Host, err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the Kubernetes discovery client for %s: %w", cfg.Host, err)
	}
	cached := memory.NewMemCacheClient(disc)
	return &clients{
		cfg:       cfg,
		dynamic:   dyn,
		metadata:  md,
		discovery: cached,
		mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
		plugin:    newExecPlugin(cfg),
	}, nil
}

// RESTConfig returns a copy of the resolved configuration.
func (c *Client) RESTConfig(ctx context.Context) (*rest.Config, error) {
	cl, err := c.init()
	if err != nil {
		return nil, err
	}
	return rest.CopyConfig(cl.cfg), nil
}

// ServerVersion returns the API server's git version, e.g. "v1.34.4".
func (c *Client) ServerVersion(ctx context.Context) (string, error) {
	cl, err := c.init()
	if err != nil {
		return "", err
	}
	var version string
	err = c.retry.do(ctx, "server version", func(ctx context.Context) error {
		info, err := untilDone(ctx, cl.discovery.ServerVersion)
		if err == nil {
			version = info.GitVersion
		}
		return notAPIServer(err, cl.cfg.Host, "the Kubernetes server version request (/version)")
	})
	return version, translate(err, operation{verb: "get", what: "the server version (/version)", host: cl.cfg.Host, plugin: cl.plugin})
}

// resource maps gvk and returns its dynamic client together with the
// operation description used for error messages.
func (c *Client) resource(ctx context.Context, verb string, gvk schema.GroupVersionKind, namespace, name string) (dynamic.ResourceInterface, operation, error) {
	return c.resourceIn(ctx, verb, gvk, namespace, namespace, name)
}

// resourceIn is resource sending namespaced requests to namespace, while
// messages name only described, the namespace the caller gave: until
// discovery says whether the kind is namespaced, a defaulted "default" may
// be wrong (a Promise is cluster-scoped).
func (c *Client) resourceIn(ctx context.Context, verb string, gvk schema.GroupVersionKind, described, namespace, name string) (dynamic.ResourceInterface, operation, error) {
	op := operation{verb: verb, gvk: gvk, namespace: described, name: name}
	cl, err := c.init()
	if err != nil {
		return nil, op, err
	}
	op.host, op.plugin = cl.cfg.Host, cl.plugin
	m, err := c.mapping(ctx, cl, gvk)
	if err != nil {
		return nil, op, translate(err, op)
	}
	op.resource = m.Resource.GroupResource()
	nri := cl.dynamic.Resource(m.Resource)
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		op.namespace, op.clusterScoped = "", true
		return nri, op, nil
	}
	op.namespace = namespace
	return nri.Namespace(namespace), op, nil
}

// objectResource is resource for one named object: a namespaced kind with no
// namespace means "default", as with kubectl.
func (c *Client) objectResource(ctx context.Context, verb string, gvk schema.GroupVersionKind, namespace, name string) (dynamic.ResourceInterface, operation, error) {
	used := namespace
	if used == "" {
		used = metav1.NamespaceDefault // dropped again for cluster-scoped kinds
	}
	return c.resourceIn(ctx, verb, gvk, namespace, used, name)
}

// Get reads one object. A missing object gives an error for which
// IsNotFound is true.
func (c *Client) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	ri, op, err := c.objectResource(ctx, "get", gvk, namespace, name)
	if err != nil {
		return nil, err
	}
	var obj *unstructured.Unstructured
	err = c.retry.do(ctx, "get", func(ctx context.Context) error {
		var err error
		obj, err = ri.Get(ctx, name, metav1.GetOptions{})
		return err
	})
	return obj, translate(err, op)
}

// GetWhenServed is Get for a refresh: when gvk is not served, it waits
// within ctx for the kind to be served and reads again, rather than failing
// at once. Discovery lists custom kinds again only some seconds after an API
// server restarts, and a refresh in that window must neither fail nor call
// the object gone. When the kind is still not served as ctx ends, the
// error says so (IsKindNotServed stays true) and what the wait saw.
func (c *Client) GetWhenServed(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	obj, err := c.Get(ctx, gvk, namespace, name)
	if !IsKindNotServed(err) {
		return obj, err
	}
	debug(ctx, c.log, "kind not served; waiting for it within the read's timeout", map[string]any{"kind": gvk.Kind, "apiVersion": gvk.GroupVersion().String()})
	if _, werr := c.WaitForKind(ctx, gvk); werr != nil {
		return nil, fmt.Errorf("%w\n\nThe provider waited for the kind until the read's timeout: %v", err, werr)
	}
	return c.Get(ctx, gvk, namespace, name)
}

// List lists objects of gvk; an empty namespace lists all namespaces.
func (c *Client) List(ctx context.Context, gvk schema.GroupVersionKind, namespace string, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	ri, op, err := c.resource(ctx, "list", gvk, namespace, "")
	if err != nil {
		return nil, err
	}
	var list *unstructured.UnstructuredList
	err = c.retry.do(ctx, "list", func(ctx context.Context) error {
		var err error
		list, err = ri.List(ctx, opts)
		return err
	})
	return list, translate(err, op)
}

// ListMetadata lists only the metadata (names, labels, owners) of gvk's
// objects, a fraction of a full list's bytes for kinds whose objects carry
// large specs, such as Kratix's Works. An empty namespace lists all
// namespaces.
func (c *Client) ListMetadata(ctx context.Context, gvk schema.GroupVersionKind, namespace string, opts metav1.ListOptions) (*metav1.PartialObjectMetadataList, error) {
	op := operation{verb: "list", gvk: gvk, namespace: namespace}
	cl, err := c.init()
	if err != nil {
		return nil, err
	}
	op.host, op.plugin = cl.cfg.Host, cl.plugin
	m, err := c.mapping(ctx, cl, gvk)
	if err != nil {
		return nil, translate(err, op)
	}
	op.resource = m.Resource.GroupResource()
	var list *metav1.PartialObjectMetadataList
	err = c.retry.do(ctx, "list", func(ctx context.Context) error {
		var err error
		list, err = cl.metadata.Resource(m.Resource).Namespace(namespace).List(ctx, opts)
		return err
	})
	return list, translate(err, op)
}

// Delete deletes one object. An object that is already gone, or whose kind is
// no longer served (its CRD was deleted, which deletes every instance), is
// not an error: the caller wanted it gone, and it is.
func (c *Client) Delete(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string, opts metav1.DeleteOptions) error {
	defer c.wrote(gvk, len(opts.DryRun) > 0)
	ri, op, err := c.objectResource(ctx, "delete", gvk, namespace, name)
	if err == nil {
		err = translate(c.retry.do(ctx, "delete", func(ctx context.Context) error {
			return ri.Delete(ctx, name, opts)
		}), op)
	}
	switch {
	case IsKindNotServed(err):
		warn(ctx, c.log, "kind is not served, so the object is treated as deleted", map[string]any{
			"kind": gvk.Kind, "apiVersion": gvk.GroupVersion().String(), "namespace": namespace, "name": name,
		})
		return nil
	case IsNotFound(err):
		return nil
	}
	return err
}

// Abandoned is the error for a call to get gvk's object name that the
// caller gave up waiting for when ctx ended, for instance while another
// caller's read of the same object was still under way: it says what
// Client methods say when ctx ends during their own request, naming the
// API server and the timeout.
func (c *Client) Abandoned(ctx context.Context, gvk schema.GroupVersionKind, name string) error {
	op := operation{verb: "get", gvk: gvk, name: name}
	if cl, err := c.init(); err == nil {
		op.host = cl.cfg.Host
	}
	return translate(ctx.Err(), op)
}

// warningLogger routes API server warnings (deprecations, unknown fields)
// to the provider log instead of klog, which the provider silences.
type warningLogger struct{ log Logger }

func (w warningLogger) HandleWarningHeaderWithContext(ctx context.Context, code int, agent, text string) {
	w.log.Warn(ctx, "Kubernetes API server warning", map[string]any{"warning": text})
}

func debug(ctx context.Context, log Logger, msg string, fields map[string]any) {
	if log != nil {
		log.Debug(ctx, msg, fields)
	}
}

func warn(ctx context.Context, log Logger, msg string, fields map[string]any) {
	if log != nil {
		log.Warn(ctx, msg, fields)
	}
}
