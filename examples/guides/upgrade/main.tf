# The Promise: its version label makes a new PromiseRevision each time it
# changes. Requests without promise_version follow the latest one.
resource "kratix_promise" "redis" {
  manifest = templatefile("${path.module}/promise.yaml.tftpl", { version = var.promise_version })
}

data "kratix_promise_revisions" "redis" {
  promise    = "redis"
  depends_on = [kratix_promise.redis]
}

# One canary runs the version under test; every other request stays on the
# version that is known to work until the canary is healthy.
resource "kratix_resource_request" "canary" {
  promise         = "redis"
  name            = "canary"
  spec            = { size = "small" }
  promise_version = var.canary_version
  depends_on      = [kratix_promise.redis]
}

resource "kratix_resource_request" "cache" {
  for_each        = toset(var.teams)
  promise         = "redis"
  name            = each.key
  spec            = { size = "large" }
  promise_version = var.fleet_version
  depends_on      = [kratix_promise.redis]
}

variable "promise_version" {
  type        = string
  description = "The version the Promise is at: a new one makes a new revision."
}

variable "canary_version" {
  type        = string
  description = "The version the canary request runs."
}

variable "fleet_version" {
  type        = string
  description = "The version every other request runs."
}

variable "teams" {
  type    = list(string)
  default = ["orders", "payments"]
}

output "versions" {
  value = data.kratix_promise_revisions.redis.versions
}
