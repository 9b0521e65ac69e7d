# A canary rollout: one request follows the newest version of the Promise,
# the others stay on the version they run until the canary is healthy.
data "kratix_promise_revisions" "redis" {
  promise = "redis"
}

resource "kratix_resource_request" "canary" {
  promise         = "redis"
  name            = "canary"
  spec            = { size = "small" }
  promise_version = data.kratix_promise_revisions.redis.latest
}

resource "kratix_resource_request" "cache" {
  for_each        = toset(["orders", "payments"])
  promise         = "redis"
  name            = each.key
  spec            = { size = "large" }
  promise_version = "v1.0.0"
}

output "redis_versions" {
  value = data.kratix_promise_revisions.redis.versions
}
