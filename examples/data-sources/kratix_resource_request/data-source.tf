# Wait for a request this configuration does not manage, then use what its
# pipeline wrote.
data "kratix_resource_request" "shared_db" {
  promise   = "postgresql"
  namespace = "platform-shared"
  name      = "orders-db"
  wait_for  = "configured"

  timeouts {
    read = "20m"
  }
}

output "orders_db_host" {
  value = data.kratix_resource_request.shared_db.status.host
}
