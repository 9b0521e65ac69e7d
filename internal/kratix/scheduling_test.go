package kratix

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// unscheduledWork is a request's Work as the scheduler leaves it when no
// Destination matched the named groups.
func unscheduledWork(name string, groups []any, unscheduled ...string) unstructured.Unstructured {
	w := unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.kratix.io/v1alpha1", "kind": "Work",
		"metadata": map[string]any{"name": name, "namespace": "default"},
		"spec":     map[string]any{"workloadGroups": groups},
	}}
	if len(unscheduled) > 0 {
		w.Object["status"] = map[string]any{"conditions": []any{
			map[string]any{"type": "ScheduleSucceeded", "status": "False", "reason": "UnscheduledWorkloads",
				"message": fmt.Sprintf("No matching destination found for workloadGroups: [%s]", strings.Join(unscheduled, ","))},
			map[string]any{"type": "Ready", "status": "False", "reason": "UnscheduledWorkloads", "message": "Pending"},
		}}
	}
	return w
}

func workloadGroup(id string, selectors ...map[string]any) map[string]any {
	list := make([]any, len(selectors))
	for i, s := range selectors {
		list[i] = s
	}
	return map[string]any{"id": id, "directory": ".", "destinationSelectors": list}
}

func groupSelector(source string, labels map[string]any) map[string]any {
	return map[string]any{"source": source, "matchLabels": labels}
}

func labelledDestination(name string, labels map[string]string, strict bool) unstructured.Unstructured {
	d := unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "platform.kratix.io/v1alpha1", "kind": "Destination",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"strictMatchLabels": strict},
	}}
	d.SetLabels(labels)
	return d
}

func TestUnscheduledGroups(t *testing.T) {
	groups := []any{
		workloadGroup("a", groupSelector("promise", map[string]any{"env": "prod"})),
		workloadGroup("b", groupSelector("resource-workflow", map[string]any{"env": "dev", "zone": "eu"})),
	}
	work := unscheduledWork("w", groups, "b")
	got := UnscheduledGroups(&work)
	if len(got) != 1 || got[0].ID != "b" || FormatLabels(got[0].Selectors) != "{env=dev, zone=eu}" || got[0].Work != "w" {
		t.Fatalf("got %+v, want group b with {env=dev, zone=eu}", got)
	}
	scheduled := unscheduledWork("w", groups)
	if got := UnscheduledGroups(&scheduled); got != nil {
		t.Errorf("a Work without ScheduleSucceeded=False: got %+v, want none", got)
	}
}

// The scheduler lets the Promise's selectors win over those a workflow
// writes for the same key.
func TestUnscheduledGroupsMergesSelectorsAsTheScheduler(t *testing.T) {
	g := workloadGroup("a",
		groupSelector("promise", map[string]any{"env": "prod"}),
		groupSelector("resource-workflow", map[string]any{"env": "dev", "zone": "eu"}),
		groupSelector("promise-workflow", map[string]any{"tier": "gold"}),
	)
	w := unscheduledWork("w", []any{g}, "a")
	got := UnscheduledGroups(&w)
	if len(got) != 1 {
		t.Fatalf("got %d groups, want 1", len(got))
	}
	if s := FormatLabels(got[0].Selectors); s != "{env=prod, tier=gold, zone=eu}" {
		t.Errorf("selectors %s, want {env=prod, tier=gold, zone=eu}", s)
	}
	if s := strings.Join(got[0].Sources, ","); s != "resource-workflow,promise-workflow,promise" {
		t.Errorf("sources %s", s)
	}
}

func TestDestinationMatches(t *testing.T) {
	for _, tc := range []struct {
		name      string
		dest      unstructured.Unstructured
		selectors map[string]string
		want      bool
	}{
		{"all labels match", labelledDestination("d", map[string]string{"env": "dev", "x": "y"}, false), map[string]string{"env": "dev"}, true},
		{"a label differs", labelledDestination("d", map[string]string{"env": "dev"}, false), map[string]string{"env": "prod"}, false},
		{"a label is missing", labelledDestination("d", nil, false), map[string]string{"env": "dev"}, false},
		{"no selectors", labelledDestination("d", map[string]string{"env": "dev"}, false), nil, true},
		{"no selectors, strict with labels", labelledDestination("d", map[string]string{"env": "dev"}, true), nil, false},
		{"no selectors, strict without labels", labelledDestination("d", nil, true), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DestinationMatches(&tc.dest, tc.selectors); got != tc.want {
				t.Errorf("got %t, want %t", got, tc.want)
			}
		})
	}
}

// The watch fails only when no Destination matches for the whole grace, and
// starts over when one does.
func TestScheduleWatch(t *testing.T) {
	works := []unstructured.Unstructured{unscheduledWork("w", []any{workloadGroup("a", groupSelector("promise", map[string]any{"env": "prod"}))}, "a")}
	dev := []unstructured.Unstructured{labelledDestination("dev", map[string]string{"env": "dev"}, false)}
	prod := []unstructured.Unstructured{labelledDestination("prod", map[string]string{"env": "prod"}, false)}
	start := time.Unix(1000, 0)
	w := ScheduleWatch{Grace: 5 * time.Second}
	steps := []struct {
		at           time.Duration
		destinations []unstructured.Unstructured
		stuck        bool
	}{
		{0, dev, false},
		{4 * time.Second, dev, false},
		{5 * time.Second, prod, false}, // a matching Destination appeared: Kratix will schedule
		{6 * time.Second, dev, false},  // the grace starts again
		{10 * time.Second, dev, false},
		{11 * time.Second, dev, true},
	}
	for _, s := range steps {
		got := w.Observe(start.Add(s.at), works, s.destinations)
		if (len(got) > 0) != s.stuck {
			t.Fatalf("at +%s: got %+v, want stuck=%t", s.at, got, s.stuck)
		}
	}
	scheduled := []unstructured.Unstructured{unscheduledWork("w", []any{workloadGroup("a")})}
	if got := w.Observe(start.Add(time.Minute), scheduled, dev); got != nil {
		t.Errorf("a scheduled Work: got %+v", got)
	}
}

func TestDescribeUnscheduled(t *testing.T) {
	groups := []UnscheduledGroup{{Work: "w", ID: "a", Directory: ".", Selectors: map[string]string{"env": "prod"}, Sources: []string{"promise"}}}
	var many []unstructured.Unstructured
	for i := range 12 {
		many = append(many, labelledDestination(fmt.Sprintf("d%02d", i), map[string]string{"env": "dev"}, false))
	}
	got := DescribeUnscheduled(groups, many)
	for _, want := range []string{
		`workload group "a" (directory ".") of Work w, which selects {env=prod} (set by: promise)`,
		"Destinations (12):\n  d00: {env=dev}",
		"  d09: {env=dev}\n  ... and 2 more (kubectl get destinations --show-labels)",
		"Label a Destination",
		"destination_selectors",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "d10") {
		t.Errorf("lists more than %d Destinations:\n%s", maxListedDestinations, got)
	}
	if got := DescribeUnscheduled(groups, nil); !strings.Contains(got, "No Destination exists.") {
		t.Errorf("without Destinations:\n%s", got)
	}
}

func TestRequestWorks(t *testing.T) {
	request := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{
		"name": "example", "namespace": "team-a", "labels": map[string]any{LabelPromiseName: "redis"},
	}}}
	promise := func(pipelineNamespace string) *unstructured.Unstructured {
		p := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "redis"}}}
		if pipelineNamespace != "" {
			_ = unstructured.SetNestedField(p.Object, pipelineNamespace, "spec", "workflows", "config", "pipelineNamespace")
		}
		return p
	}
	tests := []struct {
		name          string
		promise       *unstructured.Unstructured
		wantNamespace string
		wantSelector  map[string]string
	}{
		{"no promise", nil, "team-a", map[string]string{LabelResourceName: "example"}},
		{"no pipelineNamespace", promise(""), "team-a", map[string]string{LabelPromiseName: "redis", LabelResourceName: "example"}},
		{"pipelineNamespace", promise("pipelines"), "pipelines",
			map[string]string{LabelPromiseName: "redis", LabelResourceName: "example", LabelResourceNS: "team-a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, selector := RequestWorks(tt.promise, request)
			if ns != tt.wantNamespace || FormatLabels(selector) != FormatLabels(tt.wantSelector) {
				t.Errorf("RequestWorks() = %s, %s; want %s, %s", ns, FormatLabels(selector), tt.wantNamespace, FormatLabels(tt.wantSelector))
			}
		})
	}
}
