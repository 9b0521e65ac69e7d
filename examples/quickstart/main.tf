# The configuration `make demo` applies to the local platform.
#
# The provider reads its connection from the environment (KUBE_CONFIG_PATH),
# exactly as a Terraform Cloud workspace would; `make demo` sets it to the
# local platform's kubeconfig.

terraform {
  required_version = ">= 1.8"
  required_providers {
    kratix = {
      source = "kratix-community/kratix"
    }
  }
}

provider "kratix" {}

# Every Promise the platform offers, with its status and the API kind that
# resource requests use.
data "kratix_promises" "all" {}

output "promises" {
  description = "Promises installed on the platform."
  value = {
    for p in data.kratix_promises.all.promises : p.name => {
      status = p.status
      kind   = p.kind
    }
  }
}
