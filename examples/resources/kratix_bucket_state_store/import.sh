# A BucketStateStore is imported by its name.
terraform import kratix_bucket_state_store.minio minio
