# Target tracking on two signals; the group scales out when either is above its target and in only when both are
# below. Instances that are training adapters hold scale-in protection (set by the instance agent, see the user
# data), so a scale-in never kills a training that other instances wait for.

# Requests waiting for a generation slot (or generations running), per instance: published by the instance agent
# from the service's /q/metrics gauge of the same name, dimension AutoScalingGroupName, statistic Average.
resource "aws_autoscaling_policy" "engine_load" {
  name                   = "${var.name}-engine-load"
  autoscaling_group_name = aws_autoscaling_group.app.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = var.scaling_metric_target

    customized_metric_specification {
      metric_name = var.scaling_metric_name
      namespace   = var.metric_namespace
      statistic   = "Average"

      metric_dimension {
        name  = "AutoScalingGroupName"
        value = aws_autoscaling_group.app.name
      }
    }
  }
}

resource "aws_autoscaling_policy" "requests_per_target" {
  name                   = "${var.name}-requests-per-target"
  autoscaling_group_name = aws_autoscaling_group.app.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = var.requests_per_target

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.app.arn_suffix}"
    }
  }
}
