# All requests of a Promise in one namespace, and which are not configured.
data "kratix_resource_requests" "caches" {
  promise   = "redis"
  namespace = "team-checkout"
}

output "unconfigured_caches" {
  value = [for r in data.kratix_resource_requests.caches.requests : r.name if !r.configured]
}
