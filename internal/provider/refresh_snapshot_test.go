package provider

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// snapshotRequestsHCL is n requests of the test Promise, snap-0 to snap-(n-1).
func snapshotRequestsHCL(n int) string {
	return snapshotRequestsWithReplicas(n, 1)
}

func snapshotRequestsWithReplicas(n, replicas int) string {
	return fmt.Sprintf(`
resource "kratix_resource_request" "test" {
  count   = %d
  promise = kratix_promise.test.name
  name    = "snap-${count.index}"
  spec    = { replicas = %d }
}
`, n, replicas)
}

// requestsCollection is the path of the test Promise's requests in the
// default namespace, as the provider's reads name it.
func requestsCollection(p testPromise) string {
	return "/apis/test.kratix.io/v1alpha1/namespaces/default/" + p.Kind + "s"
}

// refreshBracket marks the proxy's request log before a refresh and hands
// what the refresh sent for collection to check afterwards.
type refreshBracket struct {
	proxy      *harness.FaultProxy
	collection string
	mark       int
	before     func()
}

func (b *refreshBracket) start() plancheck.PlanCheck {
	return planCheckFunc(func(context.Context) error {
		if b.before != nil {
			b.before()
		}
		b.mark = b.proxy.Mark()
		return nil
	})
}

func (b *refreshBracket) check(f func(counts map[string]int) error) plancheck.PlanCheck {
	return planCheckFunc(func(context.Context) error {
		return f(b.proxy.CountSince(b.mark, b.collection))
	})
}

// TestAccRefreshSnapshot_oneListPerKind: refreshing 30 requests of one
// kind lists the kind instead of reading each request, also in a plan that
// changes all 30 (each checked with a dry run, which is not a write and
// leaves the listing in use). The requests are counted at the fault proxy,
// which sees every request the provider sends (and only those: Kratix, or
// the emulator, talks to the API server directly).
func TestAccRefreshSnapshot_oneListPerKind(t *testing.T) {
	testAccPreCheck(t)
	proxy := harness.Current().StartFaultProxy(t)
	p := newTestPromise()
	const n = 30
	config := proxy.ProviderConfig() + p.HCL() + snapshotRequestsHCL(n)
	b := &refreshBracket{proxy: proxy, collection: requestsCollection(p)}
	promises := &refreshBracket{proxy: proxy, collection: "/apis/platform.kratix.io/v1alpha1/promises"}
	changing := &refreshBracket{proxy: proxy, collection: requestsCollection(p)}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// PlanOnly runs a plan without refresh, then one plan with
				// refresh: the checks bracket that refresh.
				Config:   config,
				PlanOnly: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh: []plancheck.PlanCheck{b.start(), promises.start()},
					PostApplyPostRefresh: []plancheck.PlanCheck{
						b.check(func(counts map[string]int) error {
							t.Logf("refreshing %d requests sent for their kind: %v", n, counts)
							lists, gets := counts["LIST"], counts["GET"]
							others := len(counts)
							for _, verb := range []string{"LIST", "GET"} {
								if _, ok := counts[verb]; ok {
									others--
								}
							}
							if lists < 1 || lists+gets > 2 || others > 0 {
								return fmt.Errorf("refreshing %d requests of one kind sent %v for the kind; want one LIST "+
									"(at most 2 reads in all, no GET per request, no watch or write)", n, counts)
							}
							return nil
						}),
						promises.check(func(counts map[string]int) error {
							t.Logf("refreshing the Promise and its %d requests sent for Promises: %v", n, counts)
							return nil
						}),
					},
				},
			},
			{
				Config:             proxy.ProviderConfig() + p.HCL() + snapshotRequestsWithReplicas(n, 2),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh: []plancheck.PlanCheck{changing.start()},
					PostApplyPostRefresh: []plancheck.PlanCheck{
						changing.check(func(counts map[string]int) error {
							t.Logf("a plan changing %d requests sent for their kind: %v", n, counts)
							if counts["LIST"] < 1 || counts["LIST"]+counts["GET"] > 2 || counts["PATCH"] != n {
								return fmt.Errorf("a plan changing %d requests of one kind sent %v for the kind; want one LIST "+
									"(at most 2 reads in all: the dry runs must not make each refresh read again) and %d PATCH "+
									"(the dry runs)", n, counts, n)
							}
							return nil
						}),
					},
				},
			},
		},
	})
}

// TestAccRefreshSnapshot_unlistedRequestStays: a request that exists but
// that the listing lacks is read with a GET and stays in the state. How it
// is hidden: the fault proxy removes it from every list response of the
// kind's collection during the refresh (the API server itself still has
// it, and answers its GET); nothing in the provider is told.
func TestAccRefreshSnapshot_unlistedRequestStays(t *testing.T) {
	testAccPreCheck(t)
	proxy := harness.Current().StartFaultProxy(t)
	p := newTestPromise()
	const n = 3
	config := proxy.ProviderConfig() + p.HCL() + snapshotRequestsHCL(n)
	collection := requestsCollection(p)
	b := &refreshBracket{proxy: proxy, collection: collection, before: func() { proxy.HideFromLists(collection, "snap-1") }}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// An empty plan after the refresh shows snap-1 is still in
				// the state: a request removed from it would be planned for
				// creation.
				Config:   config,
				PlanOnly: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh: []plancheck.PlanCheck{b.start()},
					PostApplyPostRefresh: []plancheck.PlanCheck{
						plancheck.ExpectEmptyPlan(),
						b.check(func(counts map[string]int) error {
							t.Logf("refreshing %d requests, one hidden from lists, sent for their kind: %v", n, counts)
							if counts["LIST"] < 1 {
								return fmt.Errorf("the refresh did not list the requests: %v", counts)
							}
							return nil
						}),
						planCheckFunc(func(context.Context) error {
							gets := proxy.RequestsSince(b.mark, func(r harness.SeenRequest) bool {
								return r.Method == http.MethodGet && r.URL.Path == collection+"/snap-1"
							})
							t.Logf("GETs of the request missing from the listing: %d", len(gets))
							if len(gets) < 1 {
								return fmt.Errorf("the request missing from the listing was not read with a GET")
							}
							return nil
						}),
					},
				},
			},
		},
	})
}
