# HCP Terraform / Terraform Cloud: dynamic provider credentials.
#
# With TFC_KUBERNETES_PROVIDER_AUTH=true and
# TFC_KUBERNETES_WORKLOAD_IDENTITY_AUDIENCE set on the workspace, each run gets
# a short-lived token in a file. The provider reads it like any token; the
# cluster's address and CA come from workspace variables.

terraform {
  required_providers {
    kratix = {
      source = "kratix-community/kratix"
    }
  }
}

variable "tfc_kubernetes_dynamic_credentials" {
  description = "Set by HCP Terraform when dynamic Kubernetes credentials are enabled."
  type = object({
    default = object({ token_path = string })
    aliases = map(object({ token_path = string }))
  })
}

variable "platform_host" {
  description = "API server of the Kratix platform cluster."
  type        = string
}

variable "platform_ca_certificate" {
  description = "PEM CA certificate of the platform cluster."
  type        = string
}

provider "kratix" {
  host                   = var.platform_host
  cluster_ca_certificate = var.platform_ca_certificate
  token                  = file(var.tfc_kubernetes_dynamic_credentials.default.token_path)
}

data "kratix_promises" "offered" {}
