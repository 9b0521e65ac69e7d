# One file holds a Promise and its example request, as many Promise
# repositories ship them.
locals {
  platform = provider::kratix::decode_manifests(file("${path.module}/redis.yaml"))
}

# Every Promise in the file, one resource each.
resource "kratix_promise" "all" {
  for_each = local.platform.promises

  manifest = each.value
}

# The request, keyed by "<kind>/<namespace>/<name>".
resource "kratix_resource_request" "example" {
  promise  = kratix_promise.all["redis"].name
  manifest = local.platform.others["redis/default/example"]
}
