package kratix

import (
	"reflect"
	"testing"
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
