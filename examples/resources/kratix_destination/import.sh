# A Destination is imported by its name.
terraform import kratix_destination.dev dev-cluster
