# Request a Promise's API from a request YAML, in one line. Apply waits until
# the configure workflow for this change has finished, then exposes what the
# pipelines wrote in `status`. The file's apiVersion and kind are not used:
# `promise` says what is requested.
resource "kratix_resource_request" "cache" {
  promise  = "redis"
  manifest = file("${path.module}/resource-request.yaml")

  # "delivered" also waits for the output to reach the Destinations.
  wait_for = "configured"

  timeouts {
    create = "30m"
  }
}

# Hand a pipeline output to the next resource.
output "cache_message" {
  value = kratix_resource_request.cache.message
}

output "cache_pipeline_output" {
  value = try(kratix_resource_request.cache.status.connectionDetails, null)
}

# Where Kratix put the output: the Destination, and the directory in its
# state store.
output "cache_placements" {
  value = [for p in kratix_resource_request.cache.placements : "${p.destination}: ${p.state_store_kind}/${p.state_store_name} ${p.path}"]
}

# The typed arguments, without a YAML file.
resource "kratix_resource_request" "sessions" {
  promise   = "redis"
  name      = "checkout-sessions"
  namespace = "team-checkout"
  labels    = { team = "checkout" }

  spec = {
    size = "large"
  }
}
