package kratix

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func revision(name, version string, latest bool, created time.Time) unstructured.Unstructured {
	u := unstructured.Unstructured{Object: map[string]any{
		"spec":   map[string]any{"version": version},
		"status": map[string]any{"latest": latest},
	}}
	u.SetName(name)
	u.SetCreationTimestamp(metav1.NewTime(created))
	return u
}

func TestRevisionsOldestFirstAndLatest(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	revs := Revisions([]unstructured.Unstructured{
		revision("redis-b", "v2", true, t0.Add(time.Minute)),
		revision("redis-a", "v1", false, t0),
	})
	if revs[0].Version != "v1" || revs[1].Version != "v2" {
		t.Fatalf("not oldest first: %+v", revs)
	}
	if latest, ok := LatestRevision(revs); !ok || latest.Version != "v2" {
		t.Fatalf("latest = %+v, %v", latest, ok)
	}
	both := Revisions([]unstructured.Unstructured{revision("redis-a", "v1", true, t0), revision("redis-b", "v2", true, t0.Add(time.Minute))})
	if latest, _ := LatestRevision(both); latest.Version != "v2" {
		t.Fatalf("while both are marked latest, the newest is: got %+v", latest)
	}
	if err := CheckVersion("redis", "v2", revs); err != nil {
		t.Fatal(err)
	}
	err := CheckVersion("redis", "v3", revs)
	if err == nil || !strings.Contains(err.Error(), `"v1", "v2"`) {
		t.Fatalf("want the versions listed, got %v", err)
	}
	if err := CheckVersion("redis", "v1", nil); err == nil || !strings.Contains(err.Error(), "no PromiseRevision yet") {
		t.Fatalf("got %v", err)
	}
}

func binding(spec string, status map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"version": spec}, "status": status}}
}

func upgradeCondition(status, reason, message string) []any {
	return []any{map[string]any{"type": CondUpgradeSucceeded, "status": status, "reason": reason, "message": message}}
}

func TestBindingVerdict(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  map[string]any
		want    UpgradeVerdict
		message string
	}{
		{name: "fresh request applied, no condition", status: map[string]any{"lastAppliedVersion": "v2"}, want: UpgradeDone},
		{name: "still at the old version", status: map[string]any{"lastAppliedVersion": "v1"}, want: UpgradeInProgress},
		{name: "in progress towards it", status: map[string]any{"lastAppliedVersion": "v2",
			"conditions": upgradeCondition("Unknown", "UpgradeInProgress", "Upgrade to version v2 is in progress")}, want: UpgradeInProgress,
			message: "Upgrade to version v2 is in progress"},
		{name: "upgraded", status: map[string]any{"lastAppliedVersion": "v2",
			"conditions": upgradeCondition("True", "UpgradeComplete", "Resource is at version v2")}, want: UpgradeDone},
		{name: "failed", status: map[string]any{"lastAppliedVersion": "v1", "failedVersion": "v2",
			"conditions": upgradeCondition("False", "UpgradeFailed", "pipeline failed")}, want: UpgradeFailed, message: "pipeline failed"},
		{name: "another version failed", status: map[string]any{"lastAppliedVersion": "v1", "failedVersion": "v3",
			"conditions": upgradeCondition("False", "UpgradeFailed", "pipeline failed")}, want: UpgradeInProgress, message: "pipeline failed"},
	} {
		got, message := ReadBinding(binding("v2", tc.status)).Verdict("v2")
		if got != tc.want || message != tc.message {
			t.Errorf("%s: got %v %q, want %v %q", tc.name, got, message, tc.want, tc.message)
		}
	}
}

func TestNewBindingPinsARequestBeforeItExists(t *testing.T) {
	b := NewBinding("team-a", "redis", strings.Repeat("c", 60), "v1")
	if b.GetNamespace() != "team-a" || len(b.GetName()) > 63 || b.GetName() != NewBinding("team-a", "redis", strings.Repeat("c", 60), "v2").GetName() {
		t.Fatalf("bad metadata: %q %q", b.GetNamespace(), b.GetName())
	}
	if b.GetLabels()[LabelPromiseName] != "redis" || b.GetLabels()[LabelResourceName] != strings.Repeat("c", 60) {
		t.Fatalf("labels: %v", b.GetLabels())
	}
	v, _, _ := unstructured.NestedString(b.Object, "spec", "version")
	ns, _, _ := unstructured.NestedString(b.Object, "spec", "resourceRef", "namespace")
	if v != "v1" || ns != "team-a" {
		t.Fatalf("spec: %v", b.Object["spec"])
	}
	if RequestVersion(&unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"promiseVersion": "not-set"}}}) != "" {
		t.Fatal("not-set is no version")
	}
}

func TestRevisionSettled(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v1 := Revision{Name: "redis-a", Version: "v1", Latest: true, Labelled: true, Created: t0}
	v1Unlabelled := Revision{Name: "redis-a", Version: "v1", Latest: true, Created: t0}
	v2Labelled := Revision{Name: "redis-b", Version: "v2", Labelled: true, Created: t0.Add(time.Minute)}
	v2Latest := Revision{Name: "redis-b", Version: "v2", Latest: true, Labelled: true, Created: t0.Add(time.Minute)}
	for _, tc := range []struct {
		name      string
		revisions []Revision
		settled   bool
		summary   string
	}{
		{"no revision yet", nil, false, `create the PromiseRevision of version "v2"`},
		{"only the previous version's", []Revision{v1}, false, `create the PromiseRevision of version "v2"`},
		{"created, the previous still latest", []Revision{v1, v2Labelled}, false, `mark the PromiseRevision of version "v2" latest (the latest is "v1")`},
		{"first revision, not marked latest yet", []Revision{v2Labelled}, false, `mark the PromiseRevision of version "v2" latest`},
		{"marked latest, the previous not unmarked yet", []Revision{v1, v2Latest}, true, ""},
		{"latest", []Revision{v1Unlabelled, v2Latest}, true, ""},
		{"a Kratix that marks none latest", []Revision{{Name: "redis-b", Version: "v2"}}, true, ""},
		// Back to an older version: Kratix labels its revision again, and
		// the newer one stays latest until its controller unmarks it.
		{"rolled back, the newer still latest", []Revision{{Name: "redis-a", Version: "v1", Latest: true, Labelled: true, Created: t0}, v2Latest}, false, `(the latest is "v2")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			version := "v2"
			if strings.HasPrefix(tc.name, "rolled back") {
				version = "v1"
			}
			settled, summary := RevisionSettled(version, tc.revisions)
			if settled != tc.settled || !strings.Contains(summary, tc.summary) {
				t.Fatalf("got %v %q, want %v and a summary with %q", settled, summary, tc.settled, tc.summary)
			}
		})
	}
}

func TestRevisionsReadTheLatestLabel(t *testing.T) {
	u := revision("redis-a", "v1", false, time.Now())
	u.SetLabels(map[string]string{LabelLatestRevision: "true"})
	if revs := Revisions([]unstructured.Unstructured{u}); !revs[0].Labelled || revs[0].Latest {
		t.Fatalf("got %+v", revs[0])
	}
}
