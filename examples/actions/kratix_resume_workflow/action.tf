# Resume a request whose pipeline suspended its workflow (for example to
# wait for an approval):
#   terraform apply -invoke=action.kratix_resume_workflow.orders_db
action "kratix_resume_workflow" "orders_db" {
  config {
    request = {
      promise   = "postgresql"
      namespace = "team-orders"
      name      = "orders-db"
    }
  }
}
