package emulator

import (
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// registerHandlers wires informer events to the queues that care: each
// object kicks its own reconcile and that of whatever depends on it (a Job
// its parent, a Work its request, a store its Destinations, ...).
func (e *Emulator) registerHandlers() error {
	add := func(gvr schema.GroupVersionResource, fn func(*unstructured.Unstructured)) error {
		_, err := e.factory.ForResource(gvr).Informer().AddEventHandler(handler(func(obj any) {
			if u, ok := obj.(*unstructured.Unstructured); ok {
				fn(u)
			}
		}))
		return err
	}
	steps := []error{
		add(gvrPromise, e.onPromise),
		add(gvrPromiseRelease, func(u *unstructured.Unstructured) { e.releases.add(u.GetName()) }),
		add(gvrWork, e.onWork),
		add(gvrWorkPlacement, e.onWorkPlacement),
		add(gvrDestination, e.onDestination),
		add(gvrGitStateStore, func(u *unstructured.Unstructured) { e.onStore("GitStateStore", u) }),
		add(gvrBucketStateStore, func(u *unstructured.Unstructured) { e.onStore("BucketStateStore", u) }),
	}
	_, err := e.jobFactory.Batch().V1().Jobs().Informer().AddEventHandler(handler(e.onJob))
	steps = append(steps, err)
	_, err = e.kubeFactory.Core().V1().Secrets().Informer().AddEventHandler(handler(e.onSecret))
	steps = append(steps, err)
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *Emulator) lister(gvr schema.GroupVersionResource) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, item := range e.factory.ForResource(gvr).Informer().GetStore().List() {
		if u, ok := item.(*unstructured.Unstructured); ok {
			out = append(out, u)
		}
	}
	return out
}

// onPromise: the Promise itself, its requests (their workflows hash the
// Promise spec and wait for it to be Available) and the Promises that
// require it.
func (e *Emulator) onPromise(p *unstructured.Unstructured) {
	name := p.GetName()
	e.promises.add(name)
	// Kratix's release controller Owns the Promises it installs.
	e.releases.add(p.GetLabels()[labelPromiseReleaseName])
	for _, rr := range e.requestsOf(name) {
		e.requests.add(requestKey(name, rr.GetNamespace(), rr.GetName()))
	}
	for _, other := range e.lister(gvrPromise) {
		for _, req := range nestedSlice(other.Object, "spec", "requiredPromises") {
			if m, ok := req.(map[string]any); ok && m["name"] == name {
				e.promises.add(other.GetName())
			}
		}
	}
}

// onJob: the Job runner, and the Promise or request the Job works for.
func (e *Emulator) onJob(obj any) {
	job, ok := obj.(*batchv1.Job)
	if !ok {
		return
	}
	e.jobs.add(job.Namespace + "/" + job.Name)
	promise := job.Labels[labelPromiseName]
	switch job.Labels[labelWorkflowType] {
	case workflowPromise:
		e.promises.add(promise)
	case workflowResource:
		ns := job.Annotations[annotationJobResourceNamespace]
		if ns == "" {
			ns = job.Namespace
		}
		e.requests.add(requestKey(promise, ns, job.Labels[labelResourceName]))
	}
}

// onWork: the scheduler, and the request or Promise whose WorksSucceeded
// condition summarises this Work.
func (e *Emulator) onWork(w *unstructured.Unstructured) {
	e.works.add(w.GetNamespace() + "/" + w.GetName())
	labels := w.GetLabels()
	promise := labels[labelPromiseName]
	if labels[labelWorkType] == workflowResource {
		ns := labels[labelResourceNamespace]
		if ns == "" {
			ns = w.GetNamespace()
		}
		e.requests.add(requestKey(promise, ns, labels[labelResourceName]))
		return
	}
	e.promises.add(promise)
}

func (e *Emulator) onWorkPlacement(wp *unstructured.Unstructured) {
	e.placements.add(wp.GetNamespace() + "/" + wp.GetName())
	if work := wp.GetLabels()[labelWork]; work != "" {
		e.works.add(wp.GetNamespace() + "/" + work)
	}
}

// onDestination: the Destination, and every Work, which may now schedule.
func (e *Emulator) onDestination(d *unstructured.Unstructured) {
	e.destinations.add(d.GetName())
	for _, w := range e.lister(gvrWork) {
		e.works.add(w.GetNamespace() + "/" + w.GetName())
	}
}

// onStore: the store, and the Destinations that write to it.
func (e *Emulator) onStore(kind string, s *unstructured.Unstructured) {
	e.stores.add(kind + "/" + s.GetName())
	for _, d := range e.lister(gvrDestination) {
		if nestedString(d.Object, "spec", "stateStoreRef", "kind") == kind &&
			nestedString(d.Object, "spec", "stateStoreRef", "name") == s.GetName() {
			e.destinations.add(d.GetName())
		}
	}
}

// onSecret re-evaluates the stores whose secretRef names this Secret.
func (e *Emulator) onSecret(obj any) {
	secret, ok := obj.(*corev1.Secret)
	if !ok {
		return
	}
	for kind, gvr := range storeKinds {
		for _, s := range e.lister(gvr) {
			name, ns := secretRefOf(s)
			if name == secret.Name && ns == secret.Namespace {
				e.stores.add(kind + "/" + s.GetName())
			}
		}
	}
}
