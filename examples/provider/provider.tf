# Connect with a kubeconfig file and context.
provider "kratix" {
  config_path    = "~/.kube/config"
  config_context = "platform-cluster"
}

# Or leave the block empty and set KUBE_HOST, KUBE_TOKEN and
# KUBE_CLUSTER_CA_CERT_DATA (or KUBE_CONFIG_PATH) in the environment, as a
# Terraform Cloud workspace does.
