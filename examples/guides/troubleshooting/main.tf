# Find out why a workflow failed or is stuck, from Terraform.

terraform {
  required_providers {
    kratix = {
      source = "kratix-community/kratix"
    }
  }
}

provider "kratix" {}

# Conditions and per-pipeline phases of a request.
data "kratix_resource_request" "cache" {
  promise = "redis"
  name    = "example"
}

# The pipeline Jobs Kratix ran for it, newest first, with failure messages.
data "kratix_workflows" "cache" {
  promise   = "redis"
  request   = "example"
  namespace = "default"
}

# Is the Promise itself healthy, and did its own pipelines succeed?
data "kratix_promise" "redis" {
  name = "redis"
}

output "diagnosis" {
  value = {
    request_message  = data.kratix_resource_request.cache.message
    not_true         = [for c in data.kratix_resource_request.cache.conditions : "${c.type}=${c.status} (${c.reason}): ${c.message}" if c.status != "True"]
    failed_runs      = [for r in data.kratix_workflows.cache.runs : "${r.job} ${r.pipeline}/${r.action}: ${r.message}" if r.phase == "Failed"]
    promise_status   = data.kratix_promise.redis.status
    promise_messages = [for c in data.kratix_promise.redis.conditions : "${c.type}=${c.status}: ${c.message}"]
  }
}
