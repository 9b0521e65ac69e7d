# The provider writes (and owns) the Secret from write-only arguments
# (Terraform 1.11 or later): the token never reaches the plan or state.
# Increase credentials_wo_version to rotate it.
variable "git_token" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "kratix_git_state_store" "platform" {
  name   = "platform"
  url    = "https://github.com/example-org/platform-state.git"
  branch = "main"
  path   = "kratix"

  secret_ref = { name = "platform-git-credentials" } # namespace "default"

  username_wo            = "kratix-bot"
  password_wo            = var.git_token
  credentials_wo_version = 1

  git_author = { name = "kratix", email = "kratix@example.com" }
}

# With a Secret managed elsewhere (keys sshPrivateKey and knownHosts for ssh),
# secret_ref alone is enough.
resource "kratix_git_state_store" "ssh" {
  name        = "platform-ssh"
  url         = "git@github.com:example-org/platform-state.git"
  auth_method = "ssh"
  secret_ref  = { name = "platform-git-ssh", namespace = "kratix-platform-system" }
}
