# Check a Promise someone else installed before requesting it.
data "kratix_promise" "postgres" {
  name = "postgresql"
}

output "postgres_available" {
  value = data.kratix_promise.postgres.status == "Available"
}
