# GPU instances: launch template (GPU AMI from SSM, IMDSv2 only, encrypted root volume, user data that installs
# the service) and an autoscaling group across the given subnets with a warm pool of stopped, bootstrapped
# instances and a launch lifecycle hook that the instance completes once /q/health/ready answers.

resource "aws_launch_template" "app" {
  name_prefix            = "${var.name}-"
  description            = "AdaptServe GPU instance"
  image_id               = nonsensitive(data.aws_ssm_parameter.ami.value)
  instance_type          = var.instance_type
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.instance.id]

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required" # IMDSv2 only
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = var.root_device_name
    ebs {
      volume_size           = var.root_volume_size_gb
      volume_type           = "gp3"
      encrypted             = true
      kms_key_id            = var.kms_key_arn
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  user_data = base64encode(templatefile("${path.module}/templates/user-data.sh.tftpl", {
    region                   = local.region
    artifact_bucket          = var.artifact_bucket
    artifact_key             = var.artifact_key
    artifact_sha256          = var.artifact_sha256 == null ? "" : var.artifact_sha256
    java_package             = var.java_package
    java_options             = var.java_options
    pytorch_version          = var.pytorch_version
    pytorch_flavor           = var.pytorch_flavor
    djl_version              = var.djl_version
    app_port                 = local.app_port
    app_env                  = var.app_env
    adapter_bucket           = aws_s3_bucket.adapters.bucket
    cache_host               = aws_elasticache_replication_group.cache.primary_endpoint_address
    cache_port               = local.cache_port
    cache_token_parameter    = aws_ssm_parameter.cache_auth_token.name
    asg_name                 = local.asg_name
    lifecycle_hook_name      = local.lifecycle_hook_name
    bootstrap_timeout        = var.bootstrap_timeout_seconds
    metric_namespace         = var.metric_namespace
    agent_interval           = var.agent_interval_seconds
    protection_grace_seconds = var.training_protection_grace_seconds
  }))

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${var.name}-gpu" })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.tags
  }

  tags = local.tags
}

resource "aws_autoscaling_group" "app" {
  name                      = local.asg_name
  vpc_zone_identifier       = var.instance_subnet_ids
  min_size                  = var.min_size
  max_size                  = var.max_size
  desired_capacity          = var.desired_capacity
  target_group_arns         = [aws_lb_target_group.app.arn]
  health_check_type         = "ELB"
  health_check_grace_period = 300
  default_instance_warmup   = var.instance_warmup_seconds
  wait_for_capacity_timeout = "0"

  launch_template {
    id      = aws_launch_template.app.id
    version = aws_launch_template.app.latest_version
  }

  # The instance completes this hook itself (CONTINUE) once the service answers /q/health/ready, on its first
  # boot (into the warm pool or straight into service) and on every start from the warm pool. No answer within
  # the timeout: ABANDON, the instance is replaced.
  initial_lifecycle_hook {
    name                 = local.lifecycle_hook_name
    lifecycle_transition = "autoscaling:EC2_INSTANCE_LAUNCHING"
    heartbeat_timeout    = var.bootstrap_timeout_seconds
    default_result       = "ABANDON"
  }

  # Stopped instances that have already installed the JDK, the application and the CUDA libtorch and loaded the
  # model once: a scale-out starts one instead of bootstrapping a new instance.
  warm_pool {
    pool_state                  = "Stopped"
    min_size                    = var.warm_pool_min_size
    max_group_prepared_capacity = var.warm_pool_max_prepared_capacity

    instance_reuse_policy {
      reuse_on_scale_in = true
    }
  }

  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 90
      # An instance protected because it is training is replaced once its protection is lifted.
      scale_in_protected_instances = "Wait"
    }
  }

  enabled_metrics = [
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
    "WarmPoolWarmedCapacity",
    "WarmPoolPendingCapacity",
  ]

  dynamic "tag" {
    for_each = local.tags
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # The scaling policies own the capacity after creation.
    ignore_changes = [desired_capacity]
  }
}
