# A request is imported as <promise>/<namespace>/<name>:
terraform import kratix_resource_request.cache redis/team-checkout/checkout-cache

# or, without a Promise, as <group>/<version>/<kind>/<namespace>/<name>:
terraform import kratix_resource_request.cache marketplace.kratix.io/v1alpha1/redis/team-checkout/checkout-cache
