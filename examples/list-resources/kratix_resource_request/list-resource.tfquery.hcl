# The requests of the redis Promise in the team-checkout namespace.
list "kratix_resource_request" "checkout" {
  provider = kratix
  config {
    promise   = "redis"
    namespace = "team-checkout"
  }
}
