package kratix

import (
	"cmp"
	"path"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// PlatformNamespace is where Kratix keeps a Promise's own Works.
const PlatformNamespace = "kratix-platform-system"

// Labels the scheduler puts on a WorkPlacement (kratix-api.md §2).
const (
	LabelWork                  = "kratix.io/work"
	LabelTargetDestinationName = "kratix.io/targetDestinationName"
	LabelMisplaced             = "kratix.io/misplaced"
)

// Placement says where Kratix put one workload group of a Work: the
// Destination it was scheduled to, and where in that Destination's state
// store the files are.
type Placement struct {
	Destination string
	Pipeline    string
	// Path is in the state store, from its root: the store's path, the
	// Destination's, then the directory the Destination's file path mode
	// gives (resources/<namespace>/<promise>/<request>/<pipeline>/<id> by
	// default), or the aggregated file. Empty when the Destination is gone.
	Path                           string
	FilepathMode                   string
	StateStoreKind, StateStoreName string
	// Misplaced is set when the Destination no longer matches the work's
	// selectors: Kratix leaves the files where they are and says so.
	Misplaced bool
}

// PlacementSources is what placements are worked out from: the metadata of
// Works and WorkPlacements (their names and labels say everything needed,
// so their large specs are never read), and the Destinations and state
// stores they point at.
type PlacementSources struct {
	Works, WorkPlacements []metav1.PartialObjectMetadata
	Destinations          []unstructured.Unstructured
	// StateStores holds both kinds.
	StateStores []unstructured.Unstructured
}

// WorkSelector picks the Works of one request, or of one Promise when
// Request is empty.
type WorkSelector struct {
	Promise, Namespace, Request string
}

// LabelSelector is the part of the selection the API server can do.
func (w WorkSelector) LabelSelector() labels.Selector {
	set := labels.Set{}
	if w.Promise != "" {
		set[LabelPromiseName] = w.Promise
	}
	if w.Request != "" {
		set[LabelResourceName] = w.Request
		return labels.SelectorFromSet(set)
	}
	noRequest, _ := labels.NewRequirement(LabelResourceName, selection.DoesNotExist, nil)
	return labels.SelectorFromSet(set).Add(*noRequest)
}

// Matches reports whether work is one of the selected. A request's Works are
// in its namespace, or, when its Promise runs pipelines in a
// pipelineNamespace, there with the request's namespace as a label (see
// RequestWorks); a Promise's own are in the platform namespace.
func (w WorkSelector) Matches(work metav1.PartialObjectMetadata) bool {
	return w.matches(w.LabelSelector(), work)
}

// matches is Matches with the selector's LabelSelector made once.
func (w WorkSelector) matches(selector labels.Selector, work metav1.PartialObjectMetadata) bool {
	if !selector.Matches(labels.Set(work.Labels)) {
		return false
	}
	if w.Request == "" {
		return work.Namespace == PlatformNamespace
	}
	if ns, ok := work.Labels[LabelResourceNS]; ok {
		return ns == w.Namespace
	}
	return work.Namespace == w.Namespace
}

// Placements lists where the selected Works went, sorted by Destination and
// path. A Work that is not scheduled yet has none. To answer many
// selectors from the same sources, index them once (Index).
func (s PlacementSources) Placements(sel WorkSelector) []Placement {
	return s.Index().Placements(sel)
}

// PlacementIndex answers Placements for many selectors from one
// PlacementSources: a refresh asks once per request, and scanning every
// Work and WorkPlacement each time would cost the number of requests times
// the number of Works. With the index each answer costs the Works of the
// selected request.
type PlacementIndex struct {
	src PlacementSources
	// worksByRequest: positions in src.Works by their request's name label
	// ("" for a Promise's own Works).
	worksByRequest map[string][]int
	// placementsByWork: positions in src.WorkPlacements by the
	// namespace/name of the Work they place.
	placementsByWork map[string][]int
}

// Index groups the sources by request and by Work.
func (s PlacementSources) Index() *PlacementIndex {
	x := &PlacementIndex{src: s, worksByRequest: map[string][]int{}, placementsByWork: map[string][]int{}}
	for i, w := range s.Works {
		x.worksByRequest[w.Labels[LabelResourceName]] = append(x.worksByRequest[w.Labels[LabelResourceName]], i)
	}
	for i, wp := range s.WorkPlacements {
		key := wp.Namespace + "/" + wp.Labels[LabelWork]
		x.placementsByWork[key] = append(x.placementsByWork[key], i)
	}
	return x
}

// Placements is PlacementSources.Placements from the index.
func (x *PlacementIndex) Placements(sel WorkSelector) []Placement {
	selector := sel.LabelSelector()
	var out []Placement
	for _, i := range x.worksByRequest[sel.Request] {
		work := x.src.Works[i]
		if !sel.matches(selector, work) {
			continue
		}
		for _, j := range x.placementsByWork[work.Namespace+"/"+work.Name] {
			if wp := x.src.WorkPlacements[j]; wp.DeletionTimestamp == nil {
				out = append(out, x.src.placement(work, wp))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Placement) int {
		return cmp.Or(cmp.Compare(a.Destination, b.Destination), cmp.Compare(a.Path, b.Path))
	})
	return out
}

func (s PlacementSources) placement(work, wp metav1.PartialObjectMetadata) Placement {
	p := Placement{
		Destination: wp.Labels[LabelTargetDestinationName],
		Pipeline:    cmp.Or(wp.Labels[LabelPipelineName], work.Labels[LabelPipelineName]),
		Misplaced:   wp.Labels[LabelMisplaced] == "true",
	}
	dest := findNamed(s.Destinations, "", p.Destination)
	if dest == nil {
		return p
	}
	p.FilepathMode, _, _ = unstructured.NestedString(dest.Object, "spec", "filepath", "mode")
	p.FilepathMode = cmp.Or(p.FilepathMode, DefaultFilepathMode)
	p.StateStoreKind, _, _ = unstructured.NestedString(dest.Object, "spec", "stateStoreRef", "kind")
	p.StateStoreName, _, _ = unstructured.NestedString(dest.Object, "spec", "stateStoreRef", "name")
	destPath, _, _ := unstructured.NestedString(dest.Object, "spec", "path")
	var storePath string
	if store := findNamed(s.StateStores, p.StateStoreKind, p.StateStoreName); store != nil {
		storePath, _, _ = unstructured.NestedString(store.Object, "spec", "path")
	}
	p.Path = storePathJoin(storePath, destPath, workDirectory(dest, p.FilepathMode, work, wp, p.Pipeline))
	return p
}

// workDirectory is where in the Destination Kratix writes a placement's
// files (Kratix: getDir in internal/controller/workplacement_controller.go):
// by metadata, dependencies/<promise>/<pipeline>/<id> for a Promise's work
// and resources/<namespace>/<promise>/<request>/<pipeline>/<id> for a
// request's; the aggregated file; or the Destination's own directory.
func workDirectory(dest *unstructured.Unstructured, mode string, work, wp metav1.PartialObjectMetadata, pipeline string) string {
	switch mode {
	case FilepathAggregatedYAML:
		file, _, _ := unstructured.NestedString(dest.Object, "spec", "filepath", "filename")
		return cmp.Or(file, DefaultAggregatedFilename)
	case FilepathNone:
		return ""
	}
	promise, request := work.Labels[LabelPromiseName], work.Labels[LabelResourceName]
	id := groupShortID(work.Name, wp)
	if request == "" {
		return path.Join("dependencies", promise, pipeline, id)
	}
	return path.Join("resources", wp.Namespace, promise, request, pipeline, id)
}

// groupShortID is the short workload group id that ends a WorkPlacement's
// name, <work>.<destination>-<id>: the same id names its directory.
func groupShortID(work string, wp metav1.PartialObjectMetadata) string {
	prefix := work + "." + wp.Labels[LabelTargetDestinationName] + "-"
	if id, ok := strings.CutPrefix(wp.Name, prefix); ok {
		return id
	}
	return wp.Name[strings.LastIndex(wp.Name, "-")+1:]
}

// storePathJoin joins path parts the way Kratix's state store writers do:
// "." and "/" are the root, and the result has no leading slash.
func storePathJoin(parts ...string) string {
	return strings.TrimPrefix(path.Join(append([]string{"/"}, parts...)...), "/")
}

func findNamed(objs []unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for i := range objs {
		if objs[i].GetName() == name && (kind == "" || objs[i].GetKind() == kind) {
			return &objs[i]
		}
	}
	return nil
}
