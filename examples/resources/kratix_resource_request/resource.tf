# Request a Promise's API. Apply waits until the configure workflow for this
# change has finished, then exposes what the pipelines wrote in `status`.
resource "kratix_resource_request" "cache" {
  promise   = "redis"
  name      = "checkout-cache"
  namespace = "team-checkout"
  labels    = { team = "checkout" }

  spec = {
    size = "large"
  }

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
