# Install a Promise from a URL, as a PromiseRelease does: Kratix fetches the
# promise.yaml and installs it. Kratix's controller manager does the GET, so
# the URL must be reachable from the cluster. Without `version`, Kratix takes
# the version the URL serves (its kratix.io/promise-version label).
resource "kratix_promise_release" "redis" {
  name = "redis"
  url  = "https://raw.githubusercontent.com/syntasso/kratix-marketplace/main/redis/promise.yaml"
}

# Requests use the Promise the release installed, in the same apply.
resource "kratix_resource_request" "cache" {
  promise   = kratix_promise_release.redis.promise
  name      = "cache"
  namespace = "default"
  spec      = { size = "small" }
}

# A private source: Kratix sends the Secret's key `authorizationHeader` as
# the Authorization header (for example "Bearer <token>"); create the Secret
# with kubectl or the kubernetes provider's kubernetes_secret_v1. Pinning
# `version` makes Kratix refuse a Promise labelled with another version.
resource "kratix_promise_release" "internal" {
  name    = "internal-platform"
  url     = "https://promises.example.com/internal-platform/v1.4.0/promise.yaml"
  version = "v1.4.0"

  authorization_secret_ref = {
    name      = "promise-source"
    namespace = "kratix-platform-system"
  }

  # Destroying the release deletes its Promise and every request of it.
  # Leave this false unless that is meant.
  force_destroy = false

  timeouts {
    create = "15m"
  }
}
