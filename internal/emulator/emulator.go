package emulator

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Options tune an Emulator.
type Options struct {
	// PipelineDuration is how long a pipeline "runs" when it says nothing
	// else (KRATIX_EMULATOR_DURATION). Default 100ms.
	PipelineDuration time.Duration
	// Logf receives what the emulator does; nil is silent.
	Logf func(format string, args ...any)
}

// Emulator plays the Kratix controller against one API server.
type Emulator struct {
	opts  Options
	dyn   dynamic.Interface
	kube  kubernetes.Interface
	ready chan struct{}

	factory     dynamicinformer.DynamicSharedInformerFactory
	kubeFactory informers.SharedInformerFactory
	jobFactory  informers.SharedInformerFactory

	promises, requests, jobs, works, placements, destinations, stores, releases *controller

	apis *apiRegistry
	// reconcileEvents holds the Destination versions ("uid/resourceVersion")
	// an Event was recorded for.
	reconcileEvents sync.Map
	// reconcileDelays holds when each delayed Destination version
	// ("uid/resourceVersion") may be reconciled (LabelReconcileDelay).
	reconcileDelays sync.Map
	// pushRaces holds until when each Destination generation
	// ("uid/generation") reports a lost push race (LabelLosePushRace).
	pushRaces sync.Map
	// runCtx is Run's context: request informers started later stop with it.
	runCtx context.Context
}

// New prepares an emulator for the API server cfg points at. Nothing runs
// until Run.
func New(cfg *rest.Config, opts Options) (*Emulator, error) {
	if opts.PipelineDuration <= 0 {
		opts.PipelineDuration = 100 * time.Millisecond
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	cfg = rest.CopyConfig(cfg)
	// API warnings (a Promise API with fields the server prunes) go to Logf
	// rather than to klog on stderr.
	cfg.WarningHandler = warningLogger(opts.Logf)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("emulator: dynamic client: %w", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("emulator: kubernetes client: %w", err)
	}
	e := &Emulator{opts: opts, dyn: dyn, kube: kube, ready: make(chan struct{}), apis: newAPIRegistry()}
	e.promises = newController("promise", 2, e.syncPromise)
	e.requests = newController("request", 4, e.syncRequest)
	e.jobs = newController("job", 4, e.syncJob)
	e.works = newController("work", 2, e.syncWork)
	e.placements = newController("workplacement", 2, e.syncWorkPlacement)
	e.destinations = newController("destination", 1, e.syncDestination)
	e.stores = newController("statestore", 1, e.syncStateStore)
	e.releases = newController("promiserelease", 1, e.syncRelease)
	return e, nil
}

// Ready is closed once the informers have synced.
func (e *Emulator) Ready() <-chan struct{} { return e.ready }

// Run starts informers and workers and blocks until ctx is done.
func (e *Emulator) Run(ctx context.Context) error {
	e.runCtx = ctx
	e.factory = dynamicinformer.NewDynamicSharedInformerFactory(e.dyn, 0)
	e.kubeFactory = informers.NewSharedInformerFactory(e.kube, 0)
	// Only Kratix's own Jobs matter; other Jobs stay out of the cache.
	e.jobFactory = informers.NewSharedInformerFactoryWithOptions(e.kube, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = labelManagedBy + "=" + managedByKratix }))
	if err := e.registerHandlers(); err != nil {
		return err
	}
	e.factory.Start(ctx.Done())
	e.kubeFactory.Start(ctx.Done())
	e.jobFactory.Start(ctx.Done())
	if !e.waitForSync(ctx) {
		return ctx.Err()
	}
	close(e.ready)
	e.opts.Logf("informers synced; emulating Kratix")

	var wg sync.WaitGroup
	for _, c := range e.controllers() {
		c.start(ctx, &wg, e.opts.Logf)
	}
	<-ctx.Done()
	for _, c := range e.controllers() {
		c.queue.ShutDown()
	}
	e.apis.stopAll()
	wg.Wait()
	e.factory.Shutdown()
	e.kubeFactory.Shutdown()
	e.jobFactory.Shutdown()
	return nil
}

func (e *Emulator) controllers() []*controller {
	return []*controller{e.promises, e.requests, e.jobs, e.works, e.placements, e.destinations, e.stores, e.releases}
}

func (e *Emulator) waitForSync(ctx context.Context) bool {
	for _, synced := range e.factory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return false
		}
	}
	for _, synced := range e.kubeFactory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return false
		}
	}
	for _, synced := range e.jobFactory.WaitForCacheSync(ctx.Done()) {
		if !synced {
			return false
		}
	}
	return true
}

// warningLogger hands API server warnings to Logf.
type warningLogger func(format string, args ...any)

func (w warningLogger) HandleWarningHeader(_ int, _ string, text string) {
	w("API warning: %s", text)
}

// controller is one work queue and the function that reconciles its keys.
type controller struct {
	name    string
	workers int
	queue   workqueue.TypedRateLimitingInterface[string]
	// sync reconciles one key. A positive duration asks to look again
	// later (a running pipeline, a CRD not yet established).
	sync func(ctx context.Context, key string) (time.Duration, error)
}

func newController(name string, workers int, sync func(context.Context, string) (time.Duration, error)) *controller {
	limiter := workqueue.NewTypedItemExponentialFailureRateLimiter[string](50*time.Millisecond, 5*time.Second)
	return &controller{
		name: name, workers: workers, sync: sync,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(limiter, workqueue.TypedRateLimitingQueueConfig[string]{Name: name}),
	}
}

func (c *controller) add(key string) {
	if key != "" {
		c.queue.Add(key)
	}
}

func (c *controller) start(ctx context.Context, wg *sync.WaitGroup, logf func(string, ...any)) {
	for range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c.next(ctx, logf) {
			}
		}()
	}
}

// next processes one key; false once the queue is shut down.
func (c *controller) next(ctx context.Context, logf func(string, ...any)) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	after, err := c.sync(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		logf("%s %s: %v (retrying)", c.name, key, err)
		c.queue.AddRateLimited(key)
	case after > 0:
		c.queue.Forget(key)
		c.queue.AddAfter(key, after)
	default:
		c.queue.Forget(key)
	}
	return true
}

// handler turns informer events into keys for one or more queues.
func handler(fn func(obj any)) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    fn,
		UpdateFunc: func(_, obj any) { fn(obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			fn(obj)
		},
	}
}
