# A Promise is imported by its name.
terraform import kratix_promise.redis redis
