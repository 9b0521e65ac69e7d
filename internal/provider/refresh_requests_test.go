package provider

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"k8s.io/client-go/kubernetes"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccResourceRequest_refreshRequests guards the refresh cost that
// `make bench` measures (BENCHMARKS.md): refreshing N requests sends exactly
// one LIST of their kind (the refresh snapshot), and no GET, watch or write
// of it.
// The requests are counted at the API server, from apiserver_request_total
// for the test Promise's own kind, which nothing else touches once the
// workflows have finished. No timing is asserted.
func TestAccResourceRequest_refreshRequests(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t) // reads the API server's /metrics as the platform admin
	p := newTestPromise()
	const n = 3
	config := harness.Current().ProviderConfig() + p.HCL() + fmt.Sprintf(`
resource "kratix_resource_request" "test" {
  count   = %d
  promise = kratix_promise.test.name
  name    = "refresh-${count.index}"
  spec    = { replicas = 1 }
}
`, n)
	counter := &kindRequests{t: t, group: "test.kratix.io", resource: p.Kind + "s"}

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
					PostApplyPreRefresh:  []plancheck.PlanCheck{counter.snapshot()},
					PostApplyPostRefresh: []plancheck.PlanCheck{counter.expect(map[string]float64{"LIST": 1})},
				},
			},
		},
	})
}

// kindRequests reads apiserver_request_total for one resource of one API
// group, by verb (GET, LIST, WATCH, PUT, PATCH, ...), main resource only.
type kindRequests struct {
	t               *testing.T
	group, resource string
	before          map[string]float64
}

type planCheckFunc func(ctx context.Context) error

func (f planCheckFunc) CheckPlan(ctx context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f(ctx)
}

// snapshot waits until nothing touches the kind for a moment (the emulator
// is done with the requests), then remembers the counters.
func (k *kindRequests) snapshot() plancheck.PlanCheck {
	return planCheckFunc(func(ctx context.Context) error {
		last, err := k.read(ctx)
		if err != nil {
			return err
		}
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
			time.Sleep(time.Second)
			now, err := k.read(ctx)
			if err != nil {
				return err
			}
			if maps.Equal(now, last) {
				k.before = now
				return nil
			}
			last = now
		}
		return fmt.Errorf("requests for %s.%s did not stop within 30s: %v", k.resource, k.group, last)
	})
}

// expect compares the requests since the snapshot with want, exactly.
func (k *kindRequests) expect(want map[string]float64) plancheck.PlanCheck {
	return planCheckFunc(func(ctx context.Context) error {
		if k.before == nil {
			return fmt.Errorf("no snapshot was taken before the refresh")
		}
		now, err := k.read(ctx)
		if err != nil {
			return err
		}
		got := map[string]float64{}
		for verb, v := range now {
			if d := v - k.before[verb]; d != 0 {
				got[verb] = d
			}
		}
		if !maps.Equal(got, want) {
			return fmt.Errorf("one refresh of the requests sent %v for %s.%s at the API server; want exactly %v "+
				"(one LIST of the kind, no GET, watch or write)", got, k.resource, k.group, want)
		}
		return nil
	})
}

func (k *kindRequests) read(ctx context.Context) (map[string]float64, error) {
	cs, err := kubernetes.NewForConfig(harness.Current().RESTConfig())
	if err != nil {
		return nil, err
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the API server's /metrics: %w", err)
	}
	return parseRequestTotals(body, k.group, k.resource)
}

// parseRequestTotals sums apiserver_request_total by verb for one resource
// (subresources excluded) in the Prometheus text format.
func parseRequestTotals(body []byte, group, resource string) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			continue
		}
		labels := promLabels(line[len("apiserver_request_total{"):end])
		if labels["group"] != group || labels["resource"] != resource || labels["subresource"] != "" {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			return nil, fmt.Errorf("parsing %q: %w", line, err)
		}
		out[labels["verb"]] += v
	}
	return out, sc.Err()
}

// promLabels parses `a="x",b="y"` (label values here never hold quotes).
func promLabels(s string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok {
			out[k] = strings.Trim(v, `"`)
		}
	}
	return out
}
