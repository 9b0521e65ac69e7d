# Why did the last run of a request's pipeline fail?
data "kratix_workflows" "cache" {
  promise   = "redis"
  request   = "checkout-cache"
  namespace = "team-checkout"
}

output "failed_runs" {
  value = [for r in data.kratix_workflows.cache.runs : "${r.pipeline}: ${r.message}" if r.phase == "Failed"]
}
