package provider

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
)

// testPromise builds HCL for a small Promise whose pipelines tell the
// Kratix emulator what to do (see package emulator: KRATIX_EMULATOR_*).
type testPromise struct {
	Name, Kind string
	// ConfigureEnv and DeleteEnv are env vars on the resource configure
	// and delete pipelines' containers; nil means no such pipeline.
	ConfigureEnv map[string]string
	DeleteEnv    map[string]string
	// PromiseConfigureEnv adds a promise configure pipeline.
	PromiseConfigureEnv map[string]string
	// ConfigureEnvFrom adds env vars to the resource configure pipeline
	// whose values come from the key "value" of the named ConfigMap in the
	// request's namespace, when it exists: a test changes what the next
	// run does by creating or deleting the ConfigMap.
	ConfigureEnvFrom map[string]string
	// Versions of the API; nil means v1alpha1 alone, served and stored.
	Versions []apiVersionSpec
	// Extra is HCL added to the resource's body (e.g. "force_destroy = true").
	Extra string
	// Version is the Promise's version label; "" means v1.0.0.
	Version string
}

type apiVersionSpec struct {
	Name            string
	Served, Storage bool
}

func newTestPromise() testPromise {
	suffix := strings.ToLower(acctest.RandStringFromCharSet(8, acctest.CharSetAlpha))
	return testPromise{Name: "tfacc-" + suffix, Kind: "tf" + suffix, ConfigureEnv: map[string]string{}}
}

// statusJSON is the value of KRATIX_EMULATOR_STATUS for a pipeline that
// writes these status fields.
func statusJSON(fields map[string]any) string {
	data, _ := json.Marshal(fields)
	return string(data)
}

func (p testPromise) HCL() string {
	return fmt.Sprintf(`
resource "kratix_promise" "test" {
  name    = %[1]q
  version = %[6]q
  api = {
    apiVersion = "apiextensions.k8s.io/v1"
    kind       = "CustomResourceDefinition"
    metadata   = { name = "%[2]ss.test.kratix.io" }
    spec = {
      group = "test.kratix.io"
      scope = "Namespaced"
      names = { kind = %[2]q, plural = "%[2]ss", singular = %[2]q }
      versions = [%[4]s]
    }
  }
  workflows = {
%[3]s  }
%[5]s
}
`, p.Name, p.Kind, p.workflowsHCL(), p.versionsHCL(), p.Extra, p.version())
}

func (p testPromise) version() string {
	if p.Version == "" {
		return "v1.0.0"
	}
	return p.Version
}

// versionsHCL lists the API's versions, each with the same schema.
func (p testPromise) versionsHCL() string {
	versions := p.Versions
	if versions == nil {
		versions = []apiVersionSpec{{Name: "v1alpha1", Served: true, Storage: true}}
	}
	out := make([]string, 0, len(versions))
	for _, v := range versions {
		out = append(out, fmt.Sprintf(`{
        name    = %q
        served  = %t
        storage = %t
        schema = {
          openAPIV3Schema = {
            type = "object"
            properties = {
              spec = {
                type = "object"
                properties = {
                  size     = { type = "string", enum = ["small", "large"], default = "small" }
                  replicas = { type = "integer", minimum = 1 }
                  region   = { type = "string", pattern = "^[a-z]+-[0-9]$" }
                  tier     = { type = "integer", minimum = 0, exclusiveMinimum = true }
                  contact  = { type = "string", format = "email" }
                }
                # size is required and has a default: the API server
                # defaults before it validates.
                required = ["replicas", "size"]
                "x-kubernetes-validations" = [{
                  rule    = "self.replicas <= 5 || self.size == 'large'"
                  message = "more than 5 replicas need size large"
                }]
              }
            }
          }
        }
      }`, v.Name, v.Served, v.Storage))
	}
	return strings.Join(out, ", ")
}

func (p testPromise) workflowsHCL() string {
	var b strings.Builder
	if p.PromiseConfigureEnv != nil {
		fmt.Fprintf(&b, "    promise = {\n      configure = [%s]\n    }\n", pipelineHCL("promise-configure", p.PromiseConfigureEnv, nil))
	}
	b.WriteString("    resource = {\n")
	if p.ConfigureEnv != nil {
		fmt.Fprintf(&b, "      configure = [%s]\n", pipelineHCL("configure", p.ConfigureEnv, p.ConfigureEnvFrom))
	}
	if p.DeleteEnv != nil {
		fmt.Fprintf(&b, "      delete = [%s]\n", pipelineHCL("cleanup", p.DeleteEnv, nil))
	}
	b.WriteString("    }\n")
	return b.String()
}

func pipelineHCL(name string, env, envFrom map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vars := make([]string, 0, len(keys))
	for _, k := range keys {
		vars = append(vars, fmt.Sprintf("{ name = %q, value = %q }", k, env[k]))
	}
	for _, k := range sortedKeys(envFrom) {
		vars = append(vars, fmt.Sprintf("{ name = %q, valueFrom = { configMapKeyRef = { name = %q, key = \"value\", optional = true } } }", k, envFrom[k]))
	}
	return fmt.Sprintf(`{
        apiVersion = "platform.kratix.io/v1alpha1"
        kind       = "Pipeline"
        metadata   = { name = %q }
        spec = {
          containers = [{ name = "main", image = "ghcr.io/example/pipeline:v1", env = [%s] }]
        }
      }`, name, strings.Join(vars, ", "))
}
