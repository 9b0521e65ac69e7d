package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccOneApply takes an empty cluster to a finished state in one apply:
// a Promise, a request of it, every data source, and an output of a field
// the request's pipeline wrote.
func TestAccOneApply(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_STATUS": statusJSON(map[string]any{"connection": map[string]any{"host": "db.internal", "port": 5432}})}
	config := harness.Current().ProviderConfig() + p.HCL() + `
resource "kratix_resource_request" "test" {
  promise = kratix_promise.test.name
  name    = "example"
  spec    = { replicas = 1 }
}

data "kratix_promise" "test" {
  name = kratix_promise.test.name
}

data "kratix_resource_request" "test" {
  promise  = kratix_resource_request.test.promise
  name     = kratix_resource_request.test.name
  wait_for = "configured"
}

data "kratix_resource_requests" "all" {
  promise    = kratix_promise.test.name
  depends_on = [kratix_resource_request.test]
}

data "kratix_workflows" "request" {
  promise    = kratix_promise.test.name
  request    = kratix_resource_request.test.name
  namespace  = "default"
  depends_on = [kratix_resource_request.test]
}

output "db_host" {
  value = kratix_resource_request.test.status.connection.host
}

output "db_port_from_data_source" {
  value = data.kratix_resource_request.test.status.connection.port
}

output "kind_from_promise" {
  value = data.kratix_promise.test.kind
}
`
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("db_host", knownvalue.StringExact("db.internal")),
				statecheck.ExpectKnownOutputValue("db_port_from_data_source", knownvalue.Int64Exact(5432)),
				statecheck.ExpectKnownOutputValue("kind_from_promise", knownvalue.StringExact(p.Kind)),
				statecheck.ExpectKnownValue("data.kratix_promise.test", tfjsonpath.New("pipelines").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("configure")),
				statecheck.ExpectKnownValue("data.kratix_resource_requests.all", tfjsonpath.New("requests").AtSliceIndex(0).AtMapKey("configured"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("data.kratix_resource_requests.all", tfjsonpath.New("requests").AtSliceIndex(0).AtMapKey("conditions").AtMapKey("ConfigureWorkflowCompleted"), knownvalue.StringExact("True")),
				statecheck.ExpectKnownValue("data.kratix_workflows.request", tfjsonpath.New("runs").AtSliceIndex(0).AtMapKey("pipeline"), knownvalue.StringExact("configure")),
				statecheck.ExpectKnownValue("data.kratix_workflows.request", tfjsonpath.New("runs").AtSliceIndex(0).AtMapKey("phase"), knownvalue.StringExact("Succeeded")),
				statecheck.ExpectKnownValue("data.kratix_workflows.request", tfjsonpath.New("runs").AtSliceIndex(0).AtMapKey("action"), knownvalue.StringExact("configure")),
			},
		}},
	})
}

// TestAccResourceRequestDataSource_waitFailure: waiting on a request whose
// workflow fails reports the pipeline and message instead of hanging.
func TestAccResourceRequestDataSource_waitFailure(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	p.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "quota exceeded"}
	base := harness.Current().ProviderConfig() + p.HCL() + requestHCL(`{ replicas = 1 }`, `  wait_for = "none"`)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: base},
			{
				Config: base + `
data "kratix_resource_request" "waiting" {
  promise  = kratix_promise.test.name
  name     = "example"
  wait_for = "configured"
}
`,
				ExpectError: regexp.MustCompile(`(?s)"configure" failed.*quota\s+exceeded`),
			},
		},
	})
}

// TestAccResourceRequestDataSource_failureOfItsOwnPromise: two requests
// with the same name and namespace under two Promises both fail; waiting on
// the first reports its own pipeline's failure, not the newer failure of
// the other Promise's request.
func TestAccResourceRequestDataSource_failureOfItsOwnPromise(t *testing.T) {
	testAccPreCheck(t)
	first, second := newTestPromise(), newTestPromise()
	first.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "first-promise-broke"}
	second.ConfigureEnv = map[string]string{"KRATIX_EMULATOR_FAIL": "second-promise-broke"}
	promises := harness.Current().ProviderConfig() + first.HCL() +
		strings.Replace(second.HCL(), `resource "kratix_promise" "test"`, `resource "kratix_promise" "second"`, 1)
	request := func(promise string) string {
		return fmt.Sprintf(`
resource "kratix_resource_request" %[1]q {
  promise  = kratix_promise.%[1]s.name
  name     = "example"
  spec     = { replicas = 1 }
  wait_for = "none"
}
`, promise)
	}
	wait := func(promise string) string {
		return fmt.Sprintf(`
data "kratix_resource_request" %[1]q {
  promise    = kratix_promise.%[1]s.name
  name       = "example"
  wait_for   = "configured"
  depends_on = [kratix_resource_request.%[1]s]
}
`, promise)
	}
	// The failed Job's own detail, whose message names its Promise.
	failedRun := func(message string) *regexp.Regexp {
		return regexp.MustCompile(`\(Job\s+\S+\)\s+failed:\s+(container\s+"main"\s+exited\s+\d+:\s+)?` + message)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: promises + request("test") + wait("test"), ExpectError: failedRun("first-promise-broke")},
			// The second Promise's request fails after the first's...
			{Config: promises + request("test") + request("second") + wait("second"), ExpectError: failedRun("second-promise-broke")},
			// ...and is not blamed on the first.
			{Config: promises + request("test") + request("second") + wait("test"), ExpectError: failedRun("first-promise-broke")},
		},
	})
}
