package kratix

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestDropWebhookEmpties(t *testing.T) {
	pipelines := map[string]any{"configure": []any{map[string]any{"kind": "Pipeline"}}}
	// What the webhook makes of workflows holding only resource pipelines.
	live := map[string]any{
		"config":   map[string]any{},
		"promise":  map[string]any{},
		"resource": pipelines,
		"other":    map[string]any{}, // not one of Kratix's structs: never added by the webhook
	}
	nothingWritten := func(string) bool { return false }
	got := DropWebhookEmpties(live, nothingWritten)
	want := map[string]any{"resource": pipelines, "other": map[string]any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if len(live) != 4 {
		t.Error("the live object was modified")
	}

	promiseWritten := func(field string) bool { return field == "promise" }
	got = DropWebhookEmpties(live, promiseWritten)
	want = map[string]any{"promise": map[string]any{}, "resource": pipelines, "other": map[string]any{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("an empty object the user wrote: got %#v, want %#v", got, want)
	}

	// Empty lists the user sent stay: the webhook never removes anything.
	emptyLists := map[string]any{"promise": map[string]any{"configure": []any{}}}
	if got := DropWebhookEmpties(emptyLists, nothingWritten); !reflect.DeepEqual(got, emptyLists) {
		t.Errorf("empty lists: got %#v, want them kept", got)
	}
}

func TestPromiseAPI(t *testing.T) {
	promise := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"api": map[string]any{"spec": map[string]any{
			"group": "Marketplace.Kratix.io",
			"names": map[string]any{"kind": "redis"},
			"versions": []any{
				map[string]any{"name": "v1alpha1", "served": true, "storage": false},
				map[string]any{"name": "v1beta1", "served": true, "storage": true},
			},
		}}},
	}}
	// Not published yet: what Kratix will publish (group/storage version, lower-cased).
	apiVersion, kind, published := PromiseAPI(promise)
	if apiVersion != "marketplace.kratix.io/v1beta1" || kind != "redis" || published {
		t.Errorf("unpublished: got %q %q %v, want marketplace.kratix.io/v1beta1 redis false", apiVersion, kind, published)
	}
	_ = unstructured.SetNestedField(promise.Object, "marketplace.kratix.io/v1alpha1", "status", "apiVersion")
	_ = unstructured.SetNestedField(promise.Object, "redis", "status", "kind")
	apiVersion, kind, published = PromiseAPI(promise)
	if apiVersion != "marketplace.kratix.io/v1alpha1" || kind != "redis" || !published {
		t.Errorf("published: got %q %q %v, want the status's API", apiVersion, kind, published)
	}
	if apiVersion, kind, published := PromiseAPI(&unstructured.Unstructured{Object: map[string]any{}}); apiVersion != "" || kind != "" || published {
		t.Errorf("no API: got %q %q %v", apiVersion, kind, published)
	}
}
