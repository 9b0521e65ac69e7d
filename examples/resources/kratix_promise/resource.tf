# Manage a Promise straight from its promise.yaml (from the Kratix
# marketplace, `kratix init` or any repository), in one line: nothing to
# translate. The plan still shows each change on the typed arguments
# (`version`, `api`, `workflows`, ...).
resource "kratix_promise" "redis" {
  manifest = file("${path.module}/promise.yaml")

  timeouts {
    create = "15m"
  }
}

# Resource requests use the API the Promise offers.
output "redis_api" {
  value = "${kratix_promise.redis.api_version}/${kratix_promise.redis.kind}"
}

# The typed arguments, without a promise.yaml: here a Promise that only
# installs dependencies on the Destinations labelled environment = dev.
resource "kratix_promise" "monitoring" {
  name    = "monitoring"
  version = "v1.0.0"
  labels  = { team = "platform" }

  dependencies = [{
    apiVersion = "v1"
    kind       = "Namespace"
    metadata   = { name = "monitoring" }
  }]
  destination_selectors = [{ match_labels = { environment = "dev" } }]
}
