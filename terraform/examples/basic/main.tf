# A complete AdaptServe stack in an existing VPC: public subnets for the load balancer, private subnets (with NAT)
# for the GPU instances and the cache. See docs/deploy.md.

resource "aws_sns_topic" "alarms" {
  count             = var.alarm_email == null ? 0 : 1
  # Not encrypted with the AWS managed SNS key: CloudWatch alarms cannot publish to a topic under that key.
  name = "${var.name}-alarms"
}

resource "aws_sns_topic_subscription" "alarms_email" {
  count     = var.alarm_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

module "adaptserve" {
  source = "../../modules/adaptserve"

  name                = var.name
  vpc_id              = var.vpc_id
  alb_subnet_ids      = var.public_subnet_ids
  instance_subnet_ids = var.private_subnet_ids
  alb_ingress_cidrs   = var.client_cidrs
  certificate_arn     = var.certificate_arn

  artifact_bucket = var.artifact_bucket
  artifact_key    = var.artifact_key
  artifact_sha256 = var.artifact_sha256

  instance_type      = var.instance_type
  min_size           = var.min_size
  desired_capacity   = var.desired_capacity
  max_size           = var.max_size
  warm_pool_min_size = var.warm_pool_min_size

  # Any adaptserve.* key as an environment variable, e.g. more trainings at once on a GPU.
  app_env = {
    ADAPTSERVE_TTT_MAX_CONCURRENT = "4"
  }

  alarm_actions       = aws_sns_topic.alarms[*].arn
  deletion_protection = var.deletion_protection

  tags = {
    Environment = "example"
  }
}
