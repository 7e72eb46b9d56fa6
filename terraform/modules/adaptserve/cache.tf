# The hot adapter tier and the fleet-wide train-once lock: ElastiCache (Valkey or Redis), TLS in transit,
# encrypted at rest, an auth token, reachable from the instances' security group only.

resource "random_password" "cache_auth_token" {
  # ElastiCache auth tokens: 16-128 printable characters; letters and digits need no escaping in a rediss:// URL.
  length  = 64
  special = false
}

# The instances read the token from here at every start of the service (never from the user data).
resource "aws_ssm_parameter" "cache_auth_token" {
  name        = "/${var.name}/cache-auth-token"
  description = "AUTH token of the AdaptServe adapter cache"
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = random_password.cache_auth_token.result
  tags        = local.tags
}

resource "aws_elasticache_subnet_group" "cache" {
  name        = "${var.name}-cache"
  description = "AdaptServe adapter cache"
  subnet_ids  = local.cache_subnet_ids
  tags        = local.tags
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id = "${var.name}-cache"
  description          = "AdaptServe adapter cache (hot tier, training lock)"
  engine               = var.cache_engine
  engine_version       = var.cache_engine_version
  node_type            = var.cache_node_type
  num_cache_clusters   = var.cache_num_nodes
  port                 = local.cache_port
  subnet_group_name    = aws_elasticache_subnet_group.cache.name
  security_group_ids   = [aws_security_group.cache.id]

  automatic_failover_enabled = var.cache_num_nodes > 1
  multi_az_enabled           = var.cache_num_nodes > 1

  transit_encryption_enabled = true
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  auth_token                 = random_password.cache_auth_token.result

  snapshot_retention_limit = 1
  apply_immediately        = false
  tags                     = local.tags
}
