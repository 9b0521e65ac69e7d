package kratix

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func objMeta(namespace, name string, labels map[string]string) metav1.PartialObjectMetadata {
	return metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels}}
}

func cluster(kind, name string, spec map[string]any) unstructured.Unstructured {
	return unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.kratix.io/v1alpha1", "kind": kind,
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
}

// placementFixture is a platform with a request's Work placed on two
// Destinations (one nested by metadata under a store with a path, one
// aggregated), a Promise's Work on one, and look-alikes that must not match:
// a request of the same name in another namespace, and a Work of another
// Promise.
func placementFixture() PlacementSources {
	work := func(namespace, name, promise, request string, extra ...string) metav1.PartialObjectMetadata {
		labels := map[string]string{LabelPromiseName: promise, LabelPipelineName: "instance-configure"}
		if request != "" {
			labels[LabelResourceName] = request
		}
		for i := 0; i+1 < len(extra); i += 2 {
			labels[extra[i]] = extra[i+1]
		}
		return objMeta(namespace, name, labels)
	}
	wp := func(namespace, work, dest, id string, extra ...string) metav1.PartialObjectMetadata {
		labels := map[string]string{LabelWork: work, LabelTargetDestinationName: dest, LabelPipelineName: "instance-configure"}
		for i := 0; i+1 < len(extra); i += 2 {
			labels[extra[i]] = extra[i+1]
		}
		return objMeta(namespace, work+"."+dest+"-"+id, labels)
	}
	return PlacementSources{
		Works: []metav1.PartialObjectMetadata{
			work("team-a", "redis-cache-abc12", "redis", "cache"),
			work("team-b", "redis-cache-def34", "redis", "cache"),
			work("team-a", "postgres-cache-fff00", "postgres", "cache"),
			work(PlatformNamespace, "redis-promise-9a8b7", "redis", ""),
		},
		WorkPlacements: []metav1.PartialObjectMetadata{
			wp("team-a", "redis-cache-abc12", "dev", "5058f"),
			wp("team-a", "redis-cache-abc12", "edge", "5058f", LabelMisplaced, "true"),
			wp("team-b", "redis-cache-def34", "dev", "5058f"),
			wp("team-a", "postgres-cache-fff00", "dev", "5058f"),
			wp(PlatformNamespace, "redis-promise-9a8b7", "dev", "1f2e3"),
		},
		Destinations: []unstructured.Unstructured{
			cluster("Destination", "dev", map[string]any{"path": "dev", "stateStoreRef": map[string]any{"kind": "GitStateStore", "name": "main"}}),
			cluster("Destination", "edge", map[string]any{"path": "/", "stateStoreRef": map[string]any{"kind": "BucketStateStore", "name": "main"},
				"filepath": map[string]any{"mode": FilepathAggregatedYAML, "filename": "all.yaml"}}),
		},
		StateStores: []unstructured.Unstructured{
			cluster("GitStateStore", "main", map[string]any{"path": "clusters/"}),
			cluster("BucketStateStore", "main", map[string]any{}),
		},
	}
}

func TestPlacements_request(t *testing.T) {
	got := placementFixture().Placements(WorkSelector{Promise: "redis", Namespace: "team-a", Request: "cache"})
	want := []Placement{
		{Destination: "dev", Pipeline: "instance-configure", FilepathMode: FilepathNestedByMetadata,
			StateStoreKind: "GitStateStore", StateStoreName: "main",
			Path: "clusters/dev/resources/team-a/redis/cache/instance-configure/5058f"},
		{Destination: "edge", Pipeline: "instance-configure", FilepathMode: FilepathAggregatedYAML,
			StateStoreKind: "BucketStateStore", StateStoreName: "main", Path: "all.yaml", Misplaced: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("placements:\n got %+v\nwant %+v", got, want)
	}
}

func TestPlacements_promise(t *testing.T) {
	got := placementFixture().Placements(WorkSelector{Promise: "redis"})
	want := []Placement{{Destination: "dev", Pipeline: "instance-configure", FilepathMode: FilepathNestedByMetadata,
		StateStoreKind: "GitStateStore", StateStoreName: "main", Path: "clusters/dev/dependencies/redis/instance-configure/1f2e3"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("placements:\n got %+v\nwant %+v", got, want)
	}
}

// addPipelineNamespaceRequest adds request team-c/cache of a Promise whose
// pipelines run in namespace "pipelines", with its Work placed on dev.
func addPipelineNamespaceRequest(src *PlacementSources) {
	src.Works = append(src.Works, objMeta("pipelines", "redis-cache-77777", map[string]string{
		LabelPromiseName: "redis", LabelResourceName: "cache", LabelResourceNS: "team-c"}))
	src.WorkPlacements = append(src.WorkPlacements, objMeta("pipelines", "redis-cache-77777.dev-aaaaa", map[string]string{
		LabelWork: "redis-cache-77777", LabelTargetDestinationName: "dev", LabelPipelineName: "p"}))
}

// A Promise with a pipelineNamespace has its requests' Works there, with the
// request's namespace as a label; the directory names the Works' namespace,
// as Kratix's does.
func TestPlacements_pipelineNamespace(t *testing.T) {
	src := placementFixture()
	addPipelineNamespaceRequest(&src)
	got := src.Placements(WorkSelector{Promise: "redis", Namespace: "team-c", Request: "cache"})
	if len(got) != 1 || got[0].Path != "clusters/dev/resources/pipelines/redis/cache/p/aaaaa" {
		t.Errorf("placements: %+v", got)
	}
	if got := src.Placements(WorkSelector{Promise: "redis", Namespace: "pipelines", Request: "cache"}); len(got) != 0 {
		t.Errorf("a request in the pipeline namespace got another namespace's placements: %+v", got)
	}
}

// A placement whose Destination is gone still names it, with no path; one
// being deleted is not listed.
func TestPlacements_goneAndDeleting(t *testing.T) {
	src := placementFixture()
	src.Destinations = src.Destinations[1:]
	now := metav1.Now()
	src.WorkPlacements[1].DeletionTimestamp = &now
	got := src.Placements(WorkSelector{Promise: "redis", Namespace: "team-a", Request: "cache"})
	want := []Placement{{Destination: "dev", Pipeline: "instance-configure"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("placements:\n got %+v\nwant %+v", got, want)
	}
}

func TestStorePathJoin(t *testing.T) {
	for _, c := range []struct {
		parts []string
		want  string
	}{
		{[]string{"", ".", "resources/x"}, "resources/x"},
		{[]string{"/", "/", ""}, ""},
		{[]string{"a/", "/b", "c"}, "a/b/c"},
	} {
		if got := storePathJoin(c.parts...); got != c.want {
			t.Errorf("storePathJoin(%q) = %q, want %q", c.parts, got, c.want)
		}
	}
}

// One index answers every selector as a scan of every Work and
// WorkPlacement does, including a request of the same name in another
// namespace, another Promise's request of that name, a request in a
// pipelineNamespace, a Promise's own Works, and a deleted placement.
func TestPlacementIndex_answersAsAScan(t *testing.T) {
	src := placementFixture()
	addPipelineNamespaceRequest(&src)
	now := metav1.Now()
	src.WorkPlacements[2].DeletionTimestamp = &now
	index := src.Index()
	for _, sel := range []WorkSelector{
		{Promise: "redis", Namespace: "team-a", Request: "cache"},
		{Promise: "redis", Namespace: "team-b", Request: "cache"},
		{Promise: "redis", Namespace: "team-c", Request: "cache"},
		{Promise: "postgres", Namespace: "team-a", Request: "cache"},
		{Promise: "redis"},
		{Promise: "postgres"},
		{Promise: "redis", Namespace: "team-a", Request: "nothing-here"},
	} {
		want := scanPlacements(src, sel)
		if got := index.Placements(sel); !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: from the index %+v, from a scan %+v", sel, got, want)
		}
	}
}

// scanPlacements is Placements the simple way: every Work is checked
// against the selector, every WorkPlacement against the selected Works.
func scanPlacements(s PlacementSources, sel WorkSelector) []Placement {
	var out []Placement
	for _, wp := range s.WorkPlacements {
		for _, w := range s.Works {
			if sel.Matches(w) && w.Namespace == wp.Namespace && w.Name == wp.Labels[LabelWork] && wp.DeletionTimestamp == nil {
				out = append(out, s.placement(w, wp))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Placement) int {
		return cmp.Or(cmp.Compare(a.Destination, b.Destination), cmp.Compare(a.Path, b.Path))
	})
	return out
}

// BenchmarkPlacementIndex_refresh is a refresh of n requests of one Promise,
// each with one Work placed on one Destination: one index, then one answer
// per request.
func BenchmarkPlacementIndex_refresh(b *testing.B) {
	for _, n := range []int{100, 500, 2000} {
		src := placementFixture()
		src.Works, src.WorkPlacements = nil, nil
		for i := range n {
			request := fmt.Sprintf("cache-%04d", i)
			work := "redis-" + request + "-abc12"
			src.Works = append(src.Works, objMeta("team-a", work, map[string]string{LabelPromiseName: "redis", LabelResourceName: request}))
			src.WorkPlacements = append(src.WorkPlacements, objMeta("team-a", work+".dev-5058f", map[string]string{
				LabelWork: work, LabelTargetDestinationName: "dev", LabelPipelineName: "instance-configure"}))
		}
		b.Run(fmt.Sprintf("requests=%d", n), func(b *testing.B) {
			for b.Loop() {
				index := src.Index()
				for i := range n {
					if got := index.Placements(WorkSelector{Promise: "redis", Namespace: "team-a", Request: fmt.Sprintf("cache-%04d", i)}); len(got) != 1 {
						b.Fatalf("request %d: %+v", i, got)
					}
				}
			}
		})
	}
}
