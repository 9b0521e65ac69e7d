# Manage a Promise straight from its promise.yaml (from the Kratix
# marketplace or `kratix init`): no hand translation of the CRD into HCL.
locals {
  redis = yamldecode(file("${path.module}/promise.yaml"))
}

resource "kratix_promise" "redis" {
  name                  = local.redis.metadata.name
  version               = local.redis.metadata.labels["kratix.io/promise-version"]
  api                   = local.redis.spec.api
  workflows             = local.redis.spec.workflows
  dependencies          = try(local.redis.spec.dependencies, null)
  destination_selectors = [for s in local.redis.spec.destinationSelectors : { match_labels = s.matchLabels }]

  timeouts {
    create = "15m"
  }
}

# Resource requests use the API the Promise offers.
output "redis_api" {
  value = "${kratix_promise.redis.api_version}/${kratix_promise.redis.kind}"
}
