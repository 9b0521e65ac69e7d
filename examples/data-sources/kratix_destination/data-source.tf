# Check a Destination someone else created before relying on it.
data "kratix_destination" "dev" {
  name = "dev-cluster"
}

output "dev_destination" {
  value = {
    ready       = data.kratix_destination.dev.ready
    reason      = data.kratix_destination.dev.reason
    labels      = data.kratix_destination.dev.labels
    state_store = "${data.kratix_destination.dev.state_store.kind}/${data.kratix_destination.dev.state_store.name}"
  }
}
