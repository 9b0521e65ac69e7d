# The Destinations a Promise selecting environment = "dev" would schedule to.
data "kratix_destinations" "dev" {
  label_selector = "environment=dev"
}

output "dev_destinations" {
  value = { for d in data.kratix_destinations.dev.destinations : d.name => d.ready }
}
