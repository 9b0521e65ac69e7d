# Chain resources on what a Kratix pipeline wrote.

terraform {
  required_providers {
    kratix = {
      source = "kratix-community/kratix"
    }
  }
}

provider "kratix" {}

# The request's configure pipeline writes, for example,
#   connection: { host: ..., port: ..., secretName: ... }
# to /kratix/metadata/status.yaml. Apply returns once that workflow has
# finished for this change, so the fields are there.
resource "kratix_resource_request" "db" {
  promise = "postgresql"
  name    = "orders"
  spec    = { size = "small" }
}

# Another request consumes the first one's output.
resource "kratix_resource_request" "app" {
  promise = "app"
  name    = "orders-api"
  spec = {
    databaseHost = kratix_resource_request.db.status.connection.host
    databasePort = kratix_resource_request.db.status.connection.port
  }
  # Wait until the output reached the Destinations too.
  wait_for = "delivered"
}

# A request someone else manages: wait for it, then read its outputs.
data "kratix_resource_request" "shared_cache" {
  promise   = "redis"
  namespace = "shared"
  name      = "cache"
  wait_for  = "delivered"
}

output "orders_db" {
  value = {
    host     = kratix_resource_request.db.status.connection.host
    pipeline = kratix_resource_request.db.workflows
  }
}

output "shared_cache_message" {
  value = data.kratix_resource_request.shared_cache.message
}
