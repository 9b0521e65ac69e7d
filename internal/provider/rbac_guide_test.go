package provider

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	"sigs.k8s.io/yaml"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// guideClusterRolePath is the ClusterRole the Terraform Cloud guide tells
// users to copy.
var guideClusterRolePath = []string{"examples", "guides", "terraform-cloud", "clusterrole.yaml"}

type policyRule struct {
	APIGroups []string `json:"apiGroups"`
	Resources []string `json:"resources"`
	Verbs     []string `json:"verbs"`
}

func (r policyRule) allows(group, resource, verb string) bool {
	match := func(list []string, v string) bool { return slices.Contains(list, v) || slices.Contains(list, "*") }
	return match(r.APIGroups, group) && match(r.Resources, resource) && match(r.Verbs, verb)
}

func guideClusterRole(t *testing.T) (raw map[string]any, rules []policyRule) {
	t.Helper()
	data, err := os.ReadFile(harness.RepoFile(guideClusterRolePath...))
	if err != nil {
		t.Fatal(err)
	}
	var role struct {
		Rules []policyRule `json:"rules"`
	}
	if err := yaml.Unmarshal(data, &role); err != nil {
		t.Fatalf("the guide's ClusterRole is not valid YAML: %v", err)
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	return raw, role.Rules
}

// providerCalls is every (group, resource, verb) the provider sends, and
// where. The kinds are those of internal/kratix/gvk.go and the Secret of
// state_store_ops.go; the verbs those of internal/kube's Client methods:
// Apply and MergePatch are patch (and a server-side apply that creates
// needs create), WaitFor and WaitForKind list and watch, the dry runs of
// Create and Update are create and update.
var providerCalls = []struct{ group, resource, verbs, why string }{
	{"platform.kratix.io", "promises", "get list watch create patch delete", "kratix_promise, the Promise data sources, a request's Promise"},
	{"platform.kratix.io", "promisereleases", "get list watch create patch delete", "kratix_promise_release"},
	{"platform.kratix.io", "destinations", "get list watch create patch delete", "kratix_destination, its data sources, delivery checks"},
	{"platform.kratix.io", "gitstatestores", "get list watch create patch delete", "kratix_git_state_store, kratix_state_store"},
	{"platform.kratix.io", "bucketstatestores", "get list watch create patch delete", "kratix_bucket_state_store, kratix_state_store"},
	{"platform.kratix.io", "works", "list", "wait_for = delivered: why output is not scheduled"},
	{"marketplace.kratix.io", "redis", "get list watch create patch delete", "requests of the getting-started guide's Promise"},
	{"apiextensions.k8s.io", "customresourcedefinitions", "get list watch create update", "waiting for a Promise's API; dry run of its api"},
	{"", "secrets", "get create update patch delete", "state store credentials from write-only arguments"},
	{"batch", "jobs", "list", "kratix_workflows, the pipeline that failed"},
	{"", "pods", "get list", "why a pipeline failed"},
}

// TestGuideClusterRole_grantsEveryCall: the ClusterRole the Terraform Cloud
// guide shows grants every call the provider makes, and the guide includes
// that very file.
func TestGuideClusterRole_grantsEveryCall(t *testing.T) {
	_, rules := guideClusterRole(t)
	for _, call := range providerCalls {
		for _, verb := range strings.Fields(call.verbs) {
			if !slices.ContainsFunc(rules, func(r policyRule) bool { return r.allows(call.group, call.resource, verb) }) {
				t.Errorf("the guide's ClusterRole does not grant %s on %q in group %q, which the provider needs for %s", verb, call.resource, call.group, call.why)
			}
		}
	}
	guide, err := os.ReadFile(harness.RepoFile("templates", "guides", "terraform-cloud.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	include := `{{ codefile "yaml" "` + strings.Join(guideClusterRolePath, "/") + `" }}`
	if !strings.Contains(string(guide), include) {
		t.Errorf("the Terraform Cloud guide no longer shows %s (%s)", strings.Join(guideClusterRolePath, "/"), include)
	}
}

// TestAccQuickstart_guideClusterRole applies and destroys the
// getting-started configuration with credentials that have only the guide's
// ClusterRole: the rights the guide lists are enough for the guide.
func TestAccQuickstart_guideClusterRole(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	env := harness.Current()
	raw, rules := guideClusterRole(t)
	bindLimited(t, toAnySlice(raw["rules"]), promisesGVR.Group, promisesGVR.Resource, "create")
	if len(rules) == 0 {
		t.Fatal("the guide's ClusterRole has no rules")
	}
	t.Setenv("KUBE_HOST", env.Host)
	t.Setenv("KUBE_TOKEN", env.LimitedToken)
	t.Setenv("KUBE_CLUSTER_CA_CERT_DATA", string(env.CAData))
	git := testGitCredentials()
	repo := acctest.RandomWithPrefix("quickstart-rbac")
	t.Setenv("TF_VAR_state_store_url", testGitURL(repo))
	t.Setenv("TF_VAR_git_username", git["username"])
	t.Setenv("TF_VAR_git_token", git["password"])

	resource.Test(t, resource.TestCase{
		TerraformVersionChecks: harness.MinTerraform(tfversion.Version1_11_0),
		CheckDestroy:           checkPromisesGone(t),
		Steps: []resource.TestStep{{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			ConfigDirectory:          config.StaticDirectory(quickstartWithOwnNames(t, repo)),
			// What the apply waited for, checked on the state it wrote. The
			// configuration's outputs are left out (quickstartWithOwnNames):
			// they mirror live status, which the refresh after the apply
			// re-reads, and the real Kratix 2025-09 re-validates every
			// GitStateStore when its manager restarts after a new Promise
			// API; a validation that runs beside the Destination's and the
			// Works' writes to the same repository can fail ("remote not
			// found") and leave the store Ready=False until its next
			// reconcile, up to 15 s later. Kratix 2026 serialises those
			// writes.
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("kratix_promise.redis", tfjsonpath.New("status"), knownvalue.StringExact("Available")),
				statecheck.ExpectKnownValue("kratix_resource_request.cache", tfjsonpath.New("message"), knownvalue.StringExact("Resource requested")),
				statecheck.ExpectKnownValue("kratix_git_state_store.platform", tfjsonpath.New("ready"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("kratix_destination.dev", tfjsonpath.New("ready"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.kratix_workflows.cache", tfjsonpath.New("runs"), knownvalue.NotNull()),
			},
		}},
	})
}

// quickstartWithOwnNames copies the getting-started configuration without
// its outputs (see TestAccQuickstart_guideClusterRole), with its store,
// Secret and Destination renamed to prefix. With the guide's names,
// right after TestAccQuickstart, the real Kratix's store went not ready on
// the refresh after apply (seen in 3 of 5 runs). The
// likely cause: Work placements of that test, still being cleaned up, write
// through the new Destination of the same name while the store's permission
// check pushes, and that push loses the race.
func quickstartWithOwnNames(t *testing.T, prefix string) string {
	t.Helper()
	dir := t.TempDir()
	src := harness.RepoFile("examples", "quickstart")
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "main.tf" {
			renamed := strings.ReplaceAll(string(b), `"quickstart`, `"`+prefix)
			if n := strings.Count(string(b), `"quickstart`); n < 3 {
				t.Fatalf("examples/quickstart/main.tf names %d objects \"quickstart...\"; this test expects the store, its Secret and the Destination", n)
			}
			b = []byte(withoutOutputs(renamed))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// withoutOutputs removes the top-level output blocks of a configuration.
func withoutOutputs(hcl string) string {
	var kept []string
	inOutput := false
	for _, line := range strings.Split(hcl, "\n") {
		switch {
		case strings.HasPrefix(line, "output "):
			inOutput = true
		case inOutput && line == "}":
			inOutput = false
		case !inOutput:
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

func toAnySlice(v any) []any {
	s, _ := v.([]any)
	return s
}
