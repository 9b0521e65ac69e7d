data "kratix_destinations" "all" {}

resource "kratix_promise" "redis" {
  name = "redis"
  api  = yamldecode(file("${path.module}/promise.yaml")).spec.api

  destination_selectors = [{ match_labels = { environment = "dev" } }]
}

# Fails the plan when the Promise's work would go nowhere, and shows where it goes.
check "redis_is_scheduled" {
  assert {
    condition = length(provider::kratix::matching_destinations(
      kratix_promise.redis.destination_selectors, data.kratix_destinations.all.destinations
    )) > 0
    error_message = "No Destination has the labels the redis Promise selects."
  }
}

output "redis_destinations" {
  value = provider::kratix::matching_destinations(
    kratix_promise.redis.destination_selectors, data.kratix_destinations.all.destinations
  )
}
