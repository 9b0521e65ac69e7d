# Is the platform's state store usable, and if not, why?
data "kratix_state_store" "default" {
  kind = "GitStateStore"
  name = "default"
}

output "state_store" {
  value = data.kratix_state_store.default.ready ? "ready" : "${data.kratix_state_store.default.reason}: ${data.kratix_state_store.default.message}"
}
