# AdaptServe on AWS: GPU instances in an autoscaling group (with a warm pool) behind an ALB, sharing adapters
# through ElastiCache (Redis/Valkey, TLS + auth token) and a versioned, encrypted S3 bucket.
# Files: network.tf (security groups), alb.tf, storage.tf (S3), cache.tf (ElastiCache), iam.tf, compute.tf
# (launch template, autoscaling group, warm pool), scaling.tf, alarms.tf, templates/user-data.sh.tftpl.

data "aws_partition" "current" {}

data "aws_region" "current" {}

# The GPU AMI, looked up by its public SSM parameter when planning.
data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter
}

locals {
  partition = data.aws_partition.current.partition
  # aws_region.name: the attribute of provider 5.x; provider 6 deprecates it for region but still has it.
  region = data.aws_region.current.name

  # Known before the group exists, so the user data can name it without describing anything.
  asg_name            = "${var.name}-asg"
  lifecycle_hook_name = "${var.name}-launch"

  app_port   = 8080
  cache_port = 6379

  cache_subnet_ids = var.cache_subnet_ids == null ? var.instance_subnet_ids : var.cache_subnet_ids

  # What comes before adapters/<base-fingerprint>/<id> in S3 keys: nothing, or "<tenant>/" per tenant.
  tenant_key_prefixes = concat([""], [for t in var.tenants : "${t}/"])

  artifact_object_arn = "arn:${local.partition}:s3:::${var.artifact_bucket}/${var.artifact_key}"

  tags = merge(var.tags, { Application = "adaptserve", Stack = var.name })
}
