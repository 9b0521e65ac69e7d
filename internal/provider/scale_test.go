package provider

// Tests of how the provider scales: one CRD watch shared by many waiters,
// paged lists that stop at the query's limit, one Promise of many failing.

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// scaleRequestYAML is a request of a test Promise's kind, labelled with tag.
func scaleRequestYAML(group, kind, name, tag string) string {
	return fmt.Sprintf(`apiVersion: %s/v1alpha1
kind: %s
metadata:
  name: %s
  namespace: default
  labels: {scale: %s}
spec: {}
`, group, kind, name, tag)
}

// requestsQuery is a query file listing the requests labelled with tag.
func requestsQuery(tag string, limit int) string {
	return fmt.Sprintf(`list "kratix_resource_request" "scale" {
  provider = kratix
  limit    = %d
  config {
    labels = { scale = %q }
  }
}
`, limit, tag)
}

// listsOf matches the proxy's LIST (not WATCH) requests under path.
func listsOf(path string) func(harness.SeenRequest) bool {
	return func(r harness.SeenRequest) bool {
		return r.Method == http.MethodGet && r.URL.Path == path && !r.Watch()
	}
}

// TestAccList_requestsOfOtherPromisesStillListed: one Promise's requests
// may not be listed (RBAC forbids it) and another's API is not served;
// the query still lists the requests of the third, and warns about each of
// the two, naming the Promise, its kind and what to do.
func TestAccList_requestsOfOtherPromisesStillListed(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.ListResources)
	tag := acctest.RandomWithPrefix("scale")
	hiddenGroup := strings.ToLower(acctest.RandStringFromCharSet(8, acctest.CharSetAlpha)) + ".scale.kratix.io"
	spec := map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}
	listed, listedKind := createTestPromiseIn(t, tag, "test.kratix.io", spec)
	forbidden, forbiddenKind := createTestPromiseIn(t, tag, "test.kratix.io", spec)
	unserved, unservedKind := createTestPromiseIn(t, tag, hiddenGroup, spec)
	for _, name := range []string{"first", "second"} {
		kubectlApply(t, scaleRequestYAML("test.kratix.io", listedKind, name, tag), false)
	}
	kubectlApply(t, scaleRequestYAML("test.kratix.io", forbiddenKind, "hidden", tag), false)

	proxy := harness.Current().StartFaultProxy(t)
	forbiddenPath := "/apis/test.kratix.io/v1alpha1/" + strings.ToLower(forbiddenKind) + "s"
	proxy.Forbid(func(r *http.Request) bool { return r.URL.Path == forbiddenPath })
	proxy.HideGroup(hiddenGroup, true)
	cli := newTerraformCLI(t, proxy.ProviderConfig())
	cli.writeFile("scale.tfquery.hcl", requestsQuery(tag, 100))
	// Terraform wraps diagnostics at 80 columns.
	out := strings.Join(strings.Fields(cli.run("query")), " ")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(regexp.QuoteMeta(listed + "/default/first")),
		regexp.MustCompile(regexp.QuoteMeta(listed + "/default/second")),
		regexp.MustCompile(`(?s)Warning: Requests of Promise "` + forbidden + `" not listed.*kind ` + forbiddenKind +
			`.*forbidden.*grant the provider's identity list on that resource`),
		regexp.MustCompile(`(?s)Warning: Requests of Promise "` + unserved + `" not listed.*kind ` + unservedKind +
			`.*wait until Promise "` + unserved + `" is Available`),
	} {
		if !want.MatchString(out) {
			t.Errorf("terraform query output does not match %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "/default/hidden") {
		t.Errorf("the forbidden Promise's request was listed:\n%s", out)
	}
}

// TestAccList_limitStopsReading: a query with limit 2 over five requests
// returns two and asks the API server for no more than two, and lists
// Promises a page at a time.
func TestAccList_limitStopsReading(t *testing.T) {
	testAccPreCheck(t)
	harness.NeedCLIFeature(t, harness.ListResources)
	tag := acctest.RandomWithPrefix("scale")
	spec := map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}
	promise, kind := createTestPromiseIn(t, tag, "test.kratix.io", spec)
	for i := range 5 {
		kubectlApply(t, scaleRequestYAML("test.kratix.io", kind, fmt.Sprintf("r%d", i), tag), false)
	}
	proxy := harness.Current().StartFaultProxy(t)
	cli := newTerraformCLI(t, proxy.ProviderConfig())
	cli.writeFile("scale.tfquery.hcl", requestsQuery(tag, 2))
	out := cli.run("query")
	if n := strings.Count(out, promise+"/default/r"); n != 2 {
		t.Errorf("the query with limit 2 printed %d requests:\n%s", n, out)
	}
	requests := proxy.Requests(listsOf("/apis/test.kratix.io/v1alpha1/namespaces/default/" + strings.ToLower(kind) + "s"))
	if len(requests) == 0 {
		requests = proxy.Requests(listsOf("/apis/test.kratix.io/v1alpha1/" + strings.ToLower(kind) + "s"))
	}
	if len(requests) != 1 || requests[0].URL.Query().Get("limit") != "2" {
		t.Errorf("want one LIST of the requests with limit=2, got %v", requests)
	}
	for _, r := range proxy.Requests(listsOf("/apis/platform.kratix.io/v1alpha1/promises")) {
		if r.URL.Query().Get("limit") != "500" {
			t.Errorf("Promises listed without paging: %s", r.URL.String())
		}
	}
}

// TestAccResourceRequest_newKindSharesOneCRDWatch: eight requests of a
// Promise whose API discovery does not list yet (as right after the Promise
// installs it) all wait for the kind in one apply; the provider watches
// the CustomResourceDefinitions once for all of them, not once each.
func TestAccResourceRequest_newKindSharesOneCRDWatch(t *testing.T) {
	testAccPreCheck(t)
	proxy := harness.Current().StartFaultProxy(t)
	p := newTestPromise()
	base := proxy.ProviderConfig() + p.HCL()
	cli := appliedCLI(t, base)
	cli.write(base + `
resource "kratix_resource_request" "many" {
  count    = 8
  promise  = kratix_promise.test.name
  name     = "many-${count.index}"
  spec     = { replicas = 1 }
  wait_for = "none"
}
`)
	cli.run("plan", "-input=false", "-out=tfplan")
	const crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	isCRDs := func(r harness.SeenRequest) bool { return r.URL.Path == crds }
	before := len(proxy.Requests(isCRDs))
	proxy.HideGroup("test.kratix.io", true)
	time.AfterFunc(6*time.Second, func() { proxy.HideGroup("test.kratix.io", false) })
	cli.run("apply", "-input=false", "tfplan")
	seen := proxy.Requests(isCRDs)[before:]
	var watches, lists int
	for _, r := range seen {
		if r.Watch() {
			watches++
		} else {
			lists++
		}
	}
	if watches != 1 || lists != 1 {
		t.Errorf("8 requests waiting for their kind made %d CRD lists and %d CRD watches, want 1 and 1", lists, watches)
	}
}
