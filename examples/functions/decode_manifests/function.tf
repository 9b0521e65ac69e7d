# One file holds a Promise and its example request, as many Promise
# repositories ship them.
locals {
  platform = provider::kratix::decode_manifests(file("${path.module}/redis.yaml"))
}

# Every Promise in the file, one resource each.
resource "kratix_promise" "all" {
  for_each = local.platform.promises

  name                  = each.key
  version               = try(each.value.metadata.labels["kratix.io/promise-version"], null)
  api                   = each.value.spec.api
  workflows             = try(each.value.spec.workflows, null)
  destination_selectors = [for s in try(each.value.spec.destinationSelectors, []) : { match_labels = s.matchLabels }]
}

# The request, keyed by "<kind>/<namespace>/<name>".
resource "kratix_resource_request" "example" {
  promise   = kratix_promise.all["redis"].name
  name      = local.platform.others["redis/default/example"].metadata.name
  namespace = "default"
  spec      = local.platform.others["redis/default/example"].spec
}
