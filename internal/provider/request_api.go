package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// apiMode is how long a caller may wait for a Promise's request API, and
// whether it shares the answer with others.
type apiMode int

const (
	// apiNow reads the Promise once, through the per-process cache. A
	// Promise that has not published its API yet gives the one its
	// spec.api says Kratix will publish (its requests can exist already),
	// or an empty one; that answer is not cached. For reads: a refresh,
	// an import, a plan check, a data source.
	apiNow apiMode = iota
	// apiAwait waits, within ctx, for the Promise to exist (promiseGrace)
	// and to publish its API, through the cache, so an apply of N
	// requests reads the Promise once instead of N times. For applies.
	apiAwait
	// apiRead reads the Promise once, bypassing the cache, and returns it
	// with its API: for the actions, which check its workflows too.
	apiRead
)

// apiLookup says how to look a request API up.
type apiLookup struct {
	mode apiMode
	// readTimeout, above zero, bounds each read of the Promise in apiNow
	// (not the wait for a read another caller is running).
	readTimeout time.Duration
}

// promiseRequestAPI is the API of a Promise's requests.
type promiseRequestAPI struct {
	promiseAPIVersionKind
	// published: Kratix published it (status.apiVersion and status.kind).
	// Otherwise it is the one spec.api names, and kind is "" when spec.api
	// names none.
	published bool
	// promise is the Promise as read, with apiRead; nil otherwise.
	promise *unstructured.Unstructured
}

func (a promiseRequestAPI) gvk() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(a.apiVersion, a.kind)
}

// requestAPI is the one place the provider resolves the API (group,
// version, kind) of a Promise's requests from the Promise's name; what a
// Promise object says is kratix.PromiseAPI's to decide. Callers differ
// only in how long they may wait (how).
func requestAPI(ctx context.Context, data *providerData, promise string, how apiLookup) (promiseRequestAPI, error) {
	switch how.mode {
	case apiRead:
		obj, err := data.Client.Get(ctx, kratix.PromiseGVK, "", promise)
		if err != nil {
			return promiseRequestAPI{}, err
		}
		api := requestAPIOf(obj)
		api.promise = obj
		return api, nil
	case apiAwait:
		api, err := data.promiseAPIs.resolve(ctx, promise, func(ctx context.Context) (promiseAPIVersionKind, error) {
			return waitForPromiseAPI(ctx, data, promise)
		})
		return promiseRequestAPI{promiseAPIVersionKind: api, published: err == nil}, err
	}
	api, err := data.promiseAPIs.resolve(ctx, promise, func(ctx context.Context) (promiseAPIVersionKind, error) {
		if how.readTimeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, how.readTimeout)
			defer cancel()
		}
		obj, err := data.Client.GetWhenServed(ctx, kratix.PromiseGVK, "", promise)
		if err != nil {
			return promiseAPIVersionKind{}, err
		}
		api := requestAPIOf(obj)
		if !api.published {
			return api.promiseAPIVersionKind, errPromiseAPIUnpublished
		}
		return api.promiseAPIVersionKind, nil
	})
	if errors.Is(err, errPromiseAPIUnpublished) {
		tflog.Debug(ctx, "the Promise has not published its API yet; using the API its spec.api names", map[string]any{"promise": promise, "apiVersion": api.apiVersion, "kind": api.kind})
		return promiseRequestAPI{promiseAPIVersionKind: api}, nil
	}
	return promiseRequestAPI{promiseAPIVersionKind: api, published: err == nil}, err
}

// requestAPIOf is the API of the requests of a Promise object.
func requestAPIOf(promise *unstructured.Unstructured) promiseRequestAPI {
	apiVersion, kind, published := kratix.PromiseAPI(promise)
	return promiseRequestAPI{promiseAPIVersionKind: promiseAPIVersionKind{apiVersion, kind}, published: published}
}

// errPromiseAPIUnpublished keeps an API the Promise has not published yet
// out of the cache.
var errPromiseAPIUnpublished = errors.New("the Promise has not published its API yet")

// waitForPromiseAPI waits, within the create timeout, until the Promise
// publishes its API (status.apiVersion and status.kind): a Promise created
// in the same apply, or one Kratix is still setting up, which it publishes
// a moment after installing the Promise's CRD.
func waitForPromiseAPI(ctx context.Context, data *providerData, promise string) (promiseAPIVersionKind, error) {
	if err := awaitPromise(ctx, data, promise); err != nil {
		return promiseAPIVersionKind{}, err
	}
	var api promiseRequestAPI
	last := "the Promise could not be read"
	_, err := data.Client.WaitFor(ctx, kratix.PromiseGVK, "", promise, func(obj *unstructured.Unstructured) (bool, error) {
		if obj == nil {
			last = "the Promise does not exist"
			return false, nil
		}
		api = requestAPIOf(obj)
		last = promiseAPIProgress(obj)
		return api.published, nil
	})
	if err != nil {
		return promiseAPIVersionKind{}, fmt.Errorf("promise %q has not published the API its requests use (status.apiVersion and status.kind) "+
			"in time: %s.\n\nKratix publishes it once it has installed the Promise's API. Check the Promise with: kubectl "+
			"describe promise %s\nRaise timeouts.create if Kratix is only slow. (%w)", promise, last, promise, err)
	}
	return api.promiseAPIVersionKind, nil
}

// promiseGrace is how long an apply waits for a request's Promise to
// appear (one created in the same apply that the request does not
// reference) before it fails: a misspelt name fails in seconds, not at the
// end of the create timeout.
var promiseGrace = 20 * time.Second

// awaitPromise waits, within promiseGrace, until the Promise exists.
func awaitPromise(ctx context.Context, data *providerData, promise string) error {
	graceCtx, cancel := context.WithTimeout(ctx, promiseGrace)
	defer cancel()
	_, err := data.Client.WaitFor(graceCtx, kratix.PromiseGVK, "", promise, func(obj *unstructured.Unstructured) (bool, error) {
		return obj != nil, nil
	})
	if err == nil || ctx.Err() != nil || graceCtx.Err() == nil {
		return err
	}
	return fmt.Errorf("no Promise named %q exists: the apply waited %s for one created in the same apply. %s\n\n"+
		"Check the promise attribute. If this configuration creates the Promise, refer to it (promise = "+
		"kratix_promise.NAME.name) so that Terraform creates the Promise first", promise, promiseGrace, promiseNameHint(ctx, data.Client, promise))
}

// promiseAPIProgress says why a Promise has not published its API yet.
func promiseAPIProgress(obj *unstructured.Unstructured) string {
	if obj.GetLabels()[kratix.LabelPaused] == "true" {
		return "its reconciliation is paused (label " + kratix.LabelPaused + "=true)"
	}
	if c, ok := kratix.FindCondition(obj, kratix.CondAvailable); ok && c.IsFalse() {
		return fmt.Sprintf("Kratix has not published it yet; the Promise is Available=False (%s): %s", c.Reason, c.Message)
	}
	return "Kratix has not published it yet"
}
