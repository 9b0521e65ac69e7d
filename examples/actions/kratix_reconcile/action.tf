# Re-run the configure workflow of one resource request:
#   terraform apply -invoke=action.kratix_reconcile.orders_db
action "kratix_reconcile" "orders_db" {
  config {
    request = {
      promise   = "postgresql"
      namespace = "team-orders"
      name      = "orders-db"
    }
    timeout = "15m"
  }
}

# Re-run the promise configure workflow of a Promise.
action "kratix_reconcile" "postgresql" {
  config {
    promise = "postgresql"
  }
}

# Re-run a request's workflow whenever a value it reads from outside
# Kratix changes (here a rotated credential's version).
resource "terraform_data" "db_credentials" {
  input = var.db_credentials_version

  lifecycle {
    action_trigger {
      events  = [after_update]
      actions = [action.kratix_reconcile.orders_db]
    }
  }
}

variable "db_credentials_version" {
  type = string
}
