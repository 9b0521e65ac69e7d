package kratix

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
)

// Work conditions and reasons the scheduler writes (kratix-api.md §8).
const (
	CondScheduleSucceeded      = "ScheduleSucceeded"
	ReasonUnscheduledWorkloads = "UnscheduledWorkloads"
)

// RequestWorks says where Kratix writes a request's Works and which labels
// select them. A Work goes where its pipeline ran: the request's namespace,
// or the Promise's workflows.config.pipelineNamespace, shared by the
// requests of every namespace, where the request's namespace is a label
// (Kratix: Pipeline.ForResource in api/v1alpha1/pipeline_types.go gives the
// work-writer that namespace; WorkCreator.Execute in
// work-creator/lib/work_creator.go writes the Work there, labelled by
// resourceutil.GetWorkLabels). promise is nil for a request without one:
// its Works are found by the request's name in its namespace.
func RequestWorks(promise, request *unstructured.Unstructured) (namespace string, selector map[string]string) {
	selector = map[string]string{LabelResourceName: request.GetName()}
	if promise == nil {
		return request.GetNamespace(), selector
	}
	selector[LabelPromiseName] = promise.GetName()
	pipelineNamespace, _, _ := unstructured.NestedString(promise.Object, "spec", "workflows", "config", "pipelineNamespace")
	if pipelineNamespace == "" {
		return request.GetNamespace(), selector
	}
	selector[LabelResourceNS] = request.GetNamespace()
	return pipelineNamespace, selector
}

// UnscheduledGroup is a workload group of a Work that Kratix could not
// place on any Destination.
type UnscheduledGroup struct {
	Work, ID, Directory string
	// Selectors are the group's destination selectors merged the way the
	// scheduler merges them; Sources says who set them (promise,
	// promise-workflow, resource-workflow).
	Selectors map[string]string
	Sources   []string
}

// UnscheduledGroups lists the groups a Work's ScheduleSucceeded=False
// (UnscheduledWorkloads) condition names; none while Kratix reports the Work
// scheduled or has not scheduled it yet.
func UnscheduledGroups(work *unstructured.Unstructured) []UnscheduledGroup {
	c, ok := FindCondition(work, CondScheduleSucceeded)
	if !ok || !c.IsFalse() || c.Reason != ReasonUnscheduledWorkloads {
		return nil
	}
	named := unscheduledIDs(c.Message)
	raw, _, _ := unstructured.NestedSlice(work.Object, "spec", "workloadGroups")
	var out []UnscheduledGroup
	for _, item := range raw {
		group, _ := item.(map[string]any)
		id := str(group["id"])
		if len(named) > 0 && !named[id] {
			continue
		}
		selectors, sources := groupSelectors(group)
		out = append(out, UnscheduledGroup{Work: work.GetName(), ID: id, Directory: str(group["directory"]), Selectors: selectors, Sources: sources})
	}
	return out
}

// unscheduledIDs reads "No matching destination found for workloadGroups:
// [a,b]"; an empty set (a message in another form) means every group.
func unscheduledIDs(message string) map[string]bool {
	open, end := strings.LastIndex(message, "["), strings.LastIndex(message, "]")
	if open < 0 || end < open {
		return nil
	}
	ids := map[string]bool{}
	for _, id := range strings.Split(message[open+1:end], ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids[id] = true
		}
	}
	return ids
}

// schedulingPriority orders selector sources as the scheduler applies them:
// a later source overrides an earlier one on the same key, so the Promise's
// own selectors win.
var schedulingPriority = map[string]int{"resource-workflow": 0, "promise-workflow": 1, "promise": 2}

// groupSelectors merges a workload group's destinationSelectors.
func groupSelectors(group map[string]any) (map[string]string, []string) {
	raw, _ := group["destinationSelectors"].([]any)
	entries := make([]map[string]any, 0, len(raw))
	for _, item := range raw {
		if m, ok := item.(map[string]any); ok {
			entries = append(entries, m)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		return schedulingPriority[str(entries[i]["source"])] < schedulingPriority[str(entries[j]["source"])]
	})
	selectors := map[string]string{}
	var sources []string
	for _, e := range entries {
		matchLabels, _ := e["matchLabels"].(map[string]any)
		for k, v := range matchLabels {
			selectors[k] = str(v)
		}
		if s := str(e["source"]); s != "" && !slices.Contains(sources, s) {
			sources = append(sources, s)
		}
	}
	return selectors, sources
}

// DestinationMatches applies the scheduler's rule: every selector label
// matches, and a Destination with strictMatchLabels and labels takes no
// group without selectors. Destinations being deleted take nothing.
func DestinationMatches(dest *unstructured.Unstructured, selectors map[string]string) bool {
	if dest.GetDeletionTimestamp() != nil {
		return false
	}
	strict, _, _ := unstructured.NestedBool(dest.Object, "spec", "strictMatchLabels")
	if len(selectors) == 0 && strict && len(dest.GetLabels()) > 0 {
		return false
	}
	return labels.SelectorFromSet(selectors).Matches(labels.Set(dest.GetLabels()))
}

// ScheduleWatch decides when a request's Works are unschedulable for good
// enough to stop waiting for their delivery: Kratix reports a workload group
// unscheduled, no Destination matches its selectors now, and that has held
// for Grace (a Destination created in the same apply gets that long to
// appear). It is stateful: feed it every check, in order.
type ScheduleWatch struct {
	Grace time.Duration
	since time.Time
}

// Observe evaluates the request's Works and the Destinations at now. It
// returns the groups that match no Destination once they have done so for
// Grace, and nil otherwise.
func (w *ScheduleWatch) Observe(now time.Time, works, destinations []unstructured.Unstructured) []UnscheduledGroup {
	stuck := unmatchedGroups(works, destinations)
	if len(stuck) == 0 {
		w.since = time.Time{}
		return nil
	}
	if w.since.IsZero() {
		w.since = now
	}
	if now.Sub(w.since) < w.Grace {
		return nil
	}
	return stuck
}

func unmatchedGroups(works, destinations []unstructured.Unstructured) []UnscheduledGroup {
	var out []UnscheduledGroup
	for i := range works {
		if works[i].GetDeletionTimestamp() != nil {
			continue
		}
		for _, g := range UnscheduledGroups(&works[i]) {
			if !anyDestinationMatches(destinations, g.Selectors) {
				out = append(out, g)
			}
		}
	}
	return out
}

func anyDestinationMatches(destinations []unstructured.Unstructured, selectors map[string]string) bool {
	for i := range destinations {
		if DestinationMatches(&destinations[i], selectors) {
			return true
		}
	}
	return false
}

// maxListedDestinations bounds the Destinations an error lists.
const maxListedDestinations = 10

// DescribeUnscheduled says which workload groups Kratix cannot place, which
// Destinations exist with their labels, and what to do about it.
func DescribeUnscheduled(groups []UnscheduledGroup, destinations []unstructured.Unstructured) string {
	var b strings.Builder
	b.WriteString("Kratix cannot schedule the request's output: no Destination matches the destination selectors of ")
	for i, g := range groups {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "workload group %q (directory %q) of Work %s, which selects %s", g.ID, g.Directory, g.Work, FormatLabels(g.Selectors))
		if len(g.Sources) > 0 {
			fmt.Fprintf(&b, " (set by: %s)", strings.Join(g.Sources, ", "))
		}
	}
	b.WriteString(".\n\n")
	b.WriteString(describeDestinations(destinations))
	b.WriteString("\n\nLabel a Destination with these labels (the labels of kratix_destination), or change the Promise's " +
		"destination_selectors (or the destination selectors its pipelines write) to match an existing Destination. " +
		"Kratix schedules the output as soon as a Destination matches.")
	return b.String()
}

func describeDestinations(destinations []unstructured.Unstructured) string {
	if len(destinations) == 0 {
		return "No Destination exists."
	}
	names := make([]string, 0, len(destinations))
	byName := map[string]map[string]string{}
	for i := range destinations {
		names = append(names, destinations[i].GetName())
		byName[destinations[i].GetName()] = destinations[i].GetLabels()
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "Destinations (%d):", len(names))
	for i, name := range names {
		if i == maxListedDestinations {
			fmt.Fprintf(&b, "\n  ... and %d more (kubectl get destinations --show-labels)", len(names)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s: %s", name, FormatLabels(byName[name]))
	}
	return b.String()
}

// FormatLabels writes labels as {a=1, b=2}, sorted; {} when there are none.
func FormatLabels(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
