# Everything the platform offers.
data "kratix_promises" "all" {}

output "offered_apis" {
  value = { for p in data.kratix_promises.all.promises : p.name => "${p.api_version}/${p.kind}" }
}
