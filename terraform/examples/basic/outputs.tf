output "url" {
  description = "Base URL of the service: BASE_URL for the k6 scripts."
  value       = module.adaptserve.url
}

output "adapter_bucket" {
  description = "The adapter bucket."
  value       = module.adaptserve.adapter_bucket
}

output "redis_endpoint" {
  description = "Primary endpoint of the adapter cache (TLS + auth token)."
  value       = module.adaptserve.redis_endpoint
}

output "autoscaling_group_name" {
  description = "The autoscaling group."
  value       = module.adaptserve.autoscaling_group_name
}
