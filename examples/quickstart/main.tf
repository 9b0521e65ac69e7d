# One apply: a git state store, a Destination, the Redis Promise from the
# Kratix marketplace, a request for it, and what Kratix reports about them.
#
# The provider reads its connection from the environment (KUBE_CONFIG_PATH
# and KUBE_CTX, or any other KUBE_* variable), as a Terraform Cloud
# workspace would.

terraform {
  required_version = ">= 1.11"
  required_providers {
    kratix = {
      source  = "kratix-community/kratix"
      version = "~> 0.1"
    }
  }
}

provider "kratix" {}

variable "state_store_url" {
  description = "HTTPS URL of the git repository Kratix writes the Promise's output to, e.g. https://github.com/your-org/kratix-state.git. Kratix commits to its main branch."
  type        = string
}

variable "git_username" {
  description = "User name for the state store repository (any non-empty name for a GitHub token)."
  type        = string
}

variable "git_token" {
  description = "Token (password) for the state store repository, allowed to push. It is only passed to a write-only argument, so it never reaches the plan or the state."
  type        = string
  sensitive   = true
  ephemeral   = true
}

# The Promise, managed straight from its promise.yaml: the provider fills its
# arguments (name, version, API, workflows, destination selectors) from the
# file at plan time, and the plan shows them.
resource "kratix_promise" "redis" {
  manifest = file("${path.module}/redis-promise.yaml")
}

# A request for it, from its YAML. Referencing the Promise orders the two, so
# both are created in one apply even though the Promise's API does not exist
# yet.
resource "kratix_resource_request" "cache" {
  promise  = kratix_promise.redis.name
  manifest = file("${path.module}/redis-request.yaml")
}

# Read what the platform says about both.
data "kratix_promise" "redis" {
  name       = kratix_promise.redis.name
  depends_on = [kratix_resource_request.cache]
}

data "kratix_workflows" "cache" {
  promise    = kratix_promise.redis.name
  request    = kratix_resource_request.cache.name
  namespace  = kratix_resource_request.cache.namespace
  depends_on = [kratix_resource_request.cache]
}

output "promise" {
  description = "The Promise's status and the API its requests use."
  value = {
    status      = kratix_promise.redis.status
    api_version = kratix_promise.redis.api_version
    kind        = kratix_promise.redis.kind
    pipelines   = [for p in data.kratix_promise.redis.pipelines : "${p.type}/${p.action}/${p.name}"]
  }
}

output "request" {
  description = "The request's state after its configure workflow."
  value = {
    message             = kratix_resource_request.cache.message
    observed_generation = kratix_resource_request.cache.observed_generation
    pipelines           = kratix_resource_request.cache.workflows
  }
}

output "workflow_runs" {
  description = "The pipeline Jobs Kratix ran for the request, newest first."
  value       = [for r in data.kratix_workflows.cache.runs : "${r.pipeline} (${r.action}): ${r.phase}"]
}

# Where Kratix writes what the Promise's pipelines produce: a git state
# store, and a Destination labelled environment = "dev", which is what the
# redis Promise's destinationSelectors match. The provider writes the
# store's Secret from write-only arguments (Terraform 1.11 or later), so the
# token never reaches the plan or the state; bump credentials_wo_version to
# rotate it.
resource "kratix_git_state_store" "platform" {
  name       = "quickstart"
  url        = var.state_store_url
  secret_ref = { name = "quickstart-git-credentials" }

  username_wo            = var.git_username
  password_wo            = var.git_token
  credentials_wo_version = 1
}

resource "kratix_destination" "dev" {
  name   = "quickstart-dev"
  labels = { environment = "dev" }
  path   = "dev"

  state_store = {
    kind = "GitStateStore"
    name = kratix_git_state_store.platform.name
  }
}

output "state_store_ready" {
  description = "Whether Kratix can write to the git state store."
  value       = kratix_git_state_store.platform.ready
}

output "destination_ready" {
  description = "Whether the dev Destination is ready to receive the Promise's output."
  value       = kratix_destination.dev.ready
}
