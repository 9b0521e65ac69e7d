# The state store the Destination writes through (here with a Secret
# managed elsewhere; see kratix_git_state_store for provider-written ones).
resource "kratix_git_state_store" "platform" {
  name       = "platform"
  url        = "https://github.com/example-org/platform-state.git"
  secret_ref = { name = "platform-git-credentials" }
}

# A Destination: where Kratix writes the output of Promises whose
# destination_selectors match its labels. Referencing the store orders the
# two, so both can be created in one apply.
resource "kratix_destination" "dev" {
  name   = "dev-cluster"
  labels = { environment = "dev" }
  path   = "clusters/dev"

  state_store = {
    kind = "GitStateStore"
    name = kratix_git_state_store.platform.name
  }

  # Optional; these are the defaults.
  filepath_mode  = "nestedByMetadata" # changing it replaces the Destination
  cleanup        = "none"             # "all" removes its files on destroy
  init_workloads = true
}

output "dev_ready" {
  value = kratix_destination.dev.ready
}
