# Re-run the configure workflow of every request of a Promise:
#   terraform apply -invoke=action.kratix_reconcile_requests.postgresql
action "kratix_reconcile_requests" "postgresql" {
  config {
    promise = "postgresql"
  }
}

# Only the production requests in one namespace.
action "kratix_reconcile_requests" "orders_production" {
  config {
    promise   = "postgresql"
    namespace = "team-orders"
    labels    = { environment = "production" }
    timeout   = "1h"
  }
}
