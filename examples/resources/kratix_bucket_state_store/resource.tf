variable "bucket_secret_access_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

# The provider writes (and owns) the access key Secret from write-only
# arguments (Terraform 1.11 or later). With accessKey, Kratix requires both
# the Secret's name and namespace.
resource "kratix_bucket_state_store" "minio" {
  name        = "minio"
  endpoint    = "minio.kratix-platform-system.svc:80"
  bucket_name = "kratix"
  insecure    = true

  secret_ref = { name = "minio-credentials", namespace = "default" }

  access_key_id_wo       = "minioadmin"
  secret_access_key_wo   = var.bucket_secret_access_key
  credentials_wo_version = 1
}

# On AWS with the Kratix controller's own IAM identity: no Secret.
resource "kratix_bucket_state_store" "s3" {
  name        = "s3"
  endpoint    = "s3.amazonaws.com"
  bucket_name = "example-kratix-state"
  auth_method = "IAM"
}
