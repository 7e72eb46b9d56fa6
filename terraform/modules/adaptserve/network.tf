# Security groups. The only ingress from addresses is the load balancer's listener ports, from
# var.alb_ingress_cidrs; instances accept the app port from the load balancer only; the cache accepts its port
# from the instances only.

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "AdaptServe load balancer: listeners from alb_ingress_cidrs, to the instances on the app port"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  for_each          = toset(var.alb_ingress_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTP listener (redirects to HTTPS when a certificate is set)"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = var.certificate_arn == null ? toset([]) : toset(var.alb_ingress_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS listener"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "alb_to_instances" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Requests and health checks to the instances"
  referenced_security_group_id = aws_security_group.instance.id
  ip_protocol                  = "tcp"
  from_port                    = local.app_port
  to_port                      = local.app_port
}

resource "aws_security_group" "instance" {
  name        = "${var.name}-instance"
  description = "AdaptServe GPU instances: the app port from the load balancer only"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-instance" })
}

resource "aws_vpc_security_group_ingress_rule" "instance_from_alb" {
  security_group_id            = aws_security_group.instance.id
  description                  = "App port from the load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = local.app_port
  to_port                      = local.app_port
}

# Outbound HTTPS: S3, SSM, CloudWatch and Auto Scaling APIs, OS packages, the DJL libtorch download.
resource "aws_vpc_security_group_egress_rule" "instance_https" {
  security_group_id = aws_security_group.instance.id
  description       = "HTTPS to AWS APIs, package mirrors and publish.djl.ai"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# Plain HTTP for the Ubuntu package mirrors (apt verifies packages by signature).
resource "aws_vpc_security_group_egress_rule" "instance_http" {
  security_group_id = aws_security_group.instance.id
  description       = "HTTP to the Ubuntu package mirrors"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "instance_to_cache" {
  security_group_id            = aws_security_group.instance.id
  description                  = "TLS to the adapter cache"
  referenced_security_group_id = aws_security_group.cache.id
  ip_protocol                  = "tcp"
  from_port                    = local.cache_port
  to_port                      = local.cache_port
}

resource "aws_security_group" "cache" {
  name        = "${var.name}-cache"
  description = "AdaptServe adapter cache: reachable from the instances only"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-cache" })
}

resource "aws_vpc_security_group_ingress_rule" "cache_from_instances" {
  security_group_id            = aws_security_group.cache.id
  description                  = "Redis/Valkey (TLS) from the instances"
  referenced_security_group_id = aws_security_group.instance.id
  ip_protocol                  = "tcp"
  from_port                    = local.cache_port
  to_port                      = local.cache_port
}
