# A PromiseRelease is imported by its name (not the name of its Promise).
terraform import kratix_promise_release.redis redis
