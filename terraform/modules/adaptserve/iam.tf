# The instances' role. Every statement names its resources: the artifact object, the adapter prefixes of the
# adapter bucket, the cache auth-token parameter, this stack's autoscaling group. The one exception is
# cloudwatch:PutMetricData, which AWS does not scope by resource: it is limited to the metric namespace instead
# (condition cloudwatch:namespace), the way AWS documents it.

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name_prefix        = "${var.name}-instance-"
  description        = "AdaptServe GPU instances"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
  tags               = local.tags
}

resource "aws_iam_instance_profile" "instance" {
  name_prefix = "${var.name}-instance-"
  role        = aws_iam_role.instance.name
  tags        = local.tags
}

data "aws_iam_policy_document" "instance" {
  statement {
    sid       = "ReadArtifact"
    actions   = ["s3:GetObject"]
    resources = [local.artifact_object_arn]
  }

  # Without ListBucket a GET of a missing key is 403 instead of 404, and the service would count every
  # cache miss as an S3 failure. It is granted on this bucket only.
  statement {
    sid       = "ListAdapterBucket"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.adapters.arn]
  }

  statement {
    sid       = "ReadWriteAdapters"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [for t in local.tenant_key_prefixes : "${aws_s3_bucket.adapters.arn}/${t}adapters/*"]
  }

  statement {
    sid       = "ReadCacheAuthToken"
    actions   = ["ssm:GetParameter"]
    resources = [aws_ssm_parameter.cache_auth_token.arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "UseStackKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "instance" {
  name   = "adaptserve-instance"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.instance.json
}

data "aws_iam_policy_document" "metrics" {
  statement {
    sid       = "PublishOwnMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"] # PutMetricData has no resource-level permissions; scoped by the condition below.
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metric_namespace]
    }
  }
}

resource "aws_iam_role_policy" "metrics" {
  name   = "adaptserve-metrics"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.metrics.json
}

# Scale-in protection while training and the launch lifecycle hook: this group only (its full ARN).
data "aws_iam_policy_document" "lifecycle" {
  statement {
    sid = "OwnGroupLifecycle"
    actions = [
      "autoscaling:SetInstanceProtection",
      "autoscaling:CompleteLifecycleAction",
      "autoscaling:RecordLifecycleActionHeartbeat",
    ]
    resources = [aws_autoscaling_group.app.arn]
  }
}

resource "aws_iam_role_policy" "lifecycle" {
  name   = "adaptserve-lifecycle"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.lifecycle.json
}
