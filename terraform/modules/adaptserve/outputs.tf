output "url" {
  description = "Base URL of the service (the load balancer): BASE_URL of the k6 scripts."
  value       = "${var.certificate_arn == null ? "http" : "https"}://${aws_lb.this.dns_name}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (point a CNAME or alias at it for the certificate's name)."
  value       = aws_lb.this.dns_name
}

output "adapter_bucket" {
  description = "Name of the adapter bucket (ADAPTSERVE_CACHE_S3_BUCKET of the instances)."
  value       = aws_s3_bucket.adapters.bucket
}

output "redis_endpoint" {
  description = "Primary endpoint of the adapter cache, host:port (TLS; the auth token is in cache_auth_token_parameter)."
  value       = "${aws_elasticache_replication_group.cache.primary_endpoint_address}:${local.cache_port}"
}

output "cache_auth_token_parameter" {
  description = "SSM SecureString parameter holding the cache auth token."
  value       = aws_ssm_parameter.cache_auth_token.name
}

output "autoscaling_group_name" {
  description = "Name of the autoscaling group."
  value       = aws_autoscaling_group.app.name
}

output "instance_role_arn" {
  description = "IAM role of the instances."
  value       = aws_iam_role.instance.arn
}

output "instance_security_group_id" {
  description = "Security group of the instances (for extra rules, e.g. a bastion)."
  value       = aws_security_group.instance.id
}
