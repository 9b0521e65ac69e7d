package provider

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccResourceRequest_refreshRequests guards the refresh cost that
// `make bench` measures (BENCHMARKS.md): refreshing N requests sends exactly
// one LIST of their kind (the refresh snapshot), and no GET, watch or write
// of it. The requests are counted at the fault proxy, which sees every
// request the provider sends and only those: Kratix reads requests too
// (Kratix 2026 was seen sending a GET of one during the refresh, on a
// loaded machine), but talks to the API server directly. No timing is
// asserted.
func TestAccResourceRequest_refreshRequests(t *testing.T) {
	testAccPreCheck(t)
	proxy := harness.Current().StartFaultProxy(t)
	p := newTestPromise()
	const n = 3
	config := proxy.ProviderConfig() + p.HCL() + fmt.Sprintf(`
resource "kratix_resource_request" "test" {
  count   = %d
  promise = kratix_promise.test.name
  name    = "refresh-${count.index}"
  spec    = { replicas = 1 }
}
`, n)
	b := &refreshBracket{proxy: proxy, collection: requestsCollection(p)}
	want := map[string]int{"LIST": 1}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// PlanOnly runs a plan without refresh, then exactly one plan
				// with refresh: the checks bracket that refresh.
				Config:   config,
				PlanOnly: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPreRefresh: []plancheck.PlanCheck{b.start()},
					PostApplyPostRefresh: []plancheck.PlanCheck{b.check(func(got map[string]int) error {
						if !maps.Equal(got, want) {
							return fmt.Errorf("one refresh of %d requests sent %v for their kind; want exactly %v "+
								"(one LIST of the kind, no GET, watch or write)", n, got, want)
						}
						return nil
					})},
				},
			},
		},
	})
}

// planCheckFunc is a plan check made of a function.
type planCheckFunc func(ctx context.Context) error

func (f planCheckFunc) CheckPlan(ctx context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f(ctx)
}
