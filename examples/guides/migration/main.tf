# Step 2 of the migration: adopt the objects the old resources created, with
# import blocks, without recreating anything. (Step 1, in the old
# configuration, used `removed { lifecycle { destroy = false } }` so that
# Terraform forgets them without deleting them.)

terraform {
  required_providers {
    kratix = {
      source = "kratix-community/kratix"
    }
  }
}

provider "kratix" {}

variable "promise_file" {
  description = "The promise.yaml the old kubectl_manifest applied."
  type        = string
  default     = "promise.yaml"
}

locals {
  promise = yamldecode(file(var.promise_file))
}

import {
  to = kratix_promise.redis
  id = "redis"
}

resource "kratix_promise" "redis" {
  name                  = local.promise.metadata.name
  version               = local.promise.metadata.labels["kratix.io/promise-version"]
  api                   = local.promise.spec.api
  workflows             = local.promise.spec.workflows
  destination_selectors = [for s in local.promise.spec.destinationSelectors : { match_labels = s.matchLabels }]
}

import {
  to = kratix_resource_request.cache
  id = "redis/default/example"
}

resource "kratix_resource_request" "cache" {
  promise = kratix_promise.redis.name
  name    = "example"
  spec    = { size = "small" }
}
