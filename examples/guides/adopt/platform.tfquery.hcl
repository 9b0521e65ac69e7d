# Finds the platform's objects. Narrow it with labels to adopt a part of
# the platform: terraform query -var 'labels={team="payments"}'.
variable "labels" {
  description = "Adopt only the objects that carry all of these labels. The default, {}, adopts every object."
  type        = map(string)
  default     = {}
}

list "kratix_git_state_store" "platform" {
  provider = kratix
  config {
    labels = var.labels
  }
}

list "kratix_bucket_state_store" "platform" {
  provider = kratix
  config {
    labels = var.labels
  }
}

list "kratix_destination" "platform" {
  provider = kratix
  config {
    labels = var.labels
  }
}

list "kratix_promise" "platform" {
  provider = kratix
  config {
    labels = var.labels
  }
}

# Every request of every Promise, in every namespace. Terraform returns at
# most 100 results per list block unless it sets limit.
list "kratix_resource_request" "platform" {
  provider = kratix
  limit    = 1000
  config {
    labels = var.labels
  }
}
