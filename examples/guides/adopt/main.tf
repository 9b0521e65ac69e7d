# The working directory the adoption starts from: the provider, configured
# here or through KUBE_* environment variables, and nothing else yet.
# `terraform query -generate-config-out=generated.tf` writes the resource
# and import blocks next to this file.
terraform {
  required_version = ">= 1.14.0"
  required_providers {
    kratix = {
      source  = "kratix-community/kratix"
      version = "~> 0.1"
    }
  }
}

provider "kratix" {}
