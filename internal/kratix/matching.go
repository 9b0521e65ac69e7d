package kratix

import (
	"sort"

	"k8s.io/apimachinery/pkg/labels"
)

// DestinationLabels is what scheduling reads of a Destination.
type DestinationLabels struct {
	Name   string
	Labels map[string]string
	// Strict is spec.strictMatchLabels.
	Strict bool
}

// SquashSelectors merges a Promise's destinationSelectors entries into one
// label set, the first entry winning on a key, as Kratix does
// (kratix-api.md §3.1).
func SquashSelectors(entries []map[string]string) map[string]string {
	out := map[string]string{}
	for _, entry := range entries {
		for k, v := range entry {
			if _, set := out[k]; !set {
				out[k] = v
			}
		}
	}
	return out
}

// MatchingDestinations returns, sorted, the names of the Destinations that
// Kratix's scheduler would consider for work with these (merged) selectors
// (internal/controller/scheduler.go, getDestinationsForWorkloadGroup): every
// selector label must be on the Destination; with no selectors at all, any
// Destination except a strictMatchLabels one that has labels. A resource
// request's work goes to one of them, a Promise's dependencies to all.
func MatchingDestinations(selectors map[string]string, destinations []DestinationLabels) []string {
	selector := labels.SelectorFromSet(selectors)
	var out []string
	for _, d := range destinations {
		if len(selectors) == 0 && d.Strict && len(d.Labels) > 0 {
			continue
		}
		if selector.Matches(labels.Set(d.Labels)) {
			out = append(out, d.Name)
		}
	}
	sort.Strings(out)
	return out
}
