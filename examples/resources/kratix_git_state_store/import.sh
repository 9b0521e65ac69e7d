# A GitStateStore is imported by its name. Write-only credentials are never
# read back: after importing, set them with credentials_wo_version and the
# next apply writes the Secret.
terraform import kratix_git_state_store.platform platform
