# The durable adapter tier: versioned, encrypted, never public. Keys: adapters/<base-fingerprint>/<id>
# (and <tenant>/adapters/... for tenants), written by the instances, each trained once for the fleet.

resource "aws_s3_bucket" "adapters" {
  bucket        = var.adapter_bucket_name
  bucket_prefix = var.adapter_bucket_name == null ? "${var.name}-adapters-" : null
  force_destroy = !var.deletion_protection
  tags          = local.tags
}

resource "aws_s3_bucket_ownership_controls" "adapters" {
  bucket = aws_s3_bucket.adapters.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "adapters" {
  bucket                  = aws_s3_bucket.adapters.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "adapters" {
  bucket = aws_s3_bucket.adapters.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "adapters" {
  bucket = aws_s3_bucket.adapters.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "adapters" {
  bucket = aws_s3_bucket.adapters.id
  # Lifecycle rules on a versioned bucket need versioning in place first.
  depends_on = [aws_s3_bucket_versioning.adapters]

  # Also covers the training leases under adapters/.leases/ (docs/cache.md, Bounds): released leases are deleted,
  # renewals leave small noncurrent versions, and a dead holder's lease goes with the adapters' expiration.
  rule {
    id     = "adapters"
    status = "Enabled"

    filter {
      prefix = "adapters/"
    }

    # Adapters are immutable (content-addressed): old versions only come from a rewrite after a bad entry.
    noncurrent_version_expiration {
      noncurrent_days = var.adapter_noncurrent_version_days
    }

    dynamic "expiration" {
      for_each = var.adapter_expiration_days == null ? [] : [var.adapter_expiration_days]
      content {
        days = expiration.value
      }
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # The same for each tenant's <tenant>/adapters/.
  dynamic "rule" {
    for_each = toset(var.tenants)
    content {
      id     = "adapters-${rule.value}"
      status = "Enabled"

      filter {
        prefix = "${rule.value}/adapters/"
      }

      noncurrent_version_expiration {
        noncurrent_days = var.adapter_noncurrent_version_days
      }

      dynamic "expiration" {
        for_each = var.adapter_expiration_days == null ? [] : [var.adapter_expiration_days]
        content {
          days = expiration.value
        }
      }

      abort_incomplete_multipart_upload {
        days_after_initiation = 1
      }
    }
  }
}

# TLS only. (A Deny for every principal: it grants nothing.)
data "aws_iam_policy_document" "adapters_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.adapters.arn,
      "${aws_s3_bucket.adapters.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "adapters" {
  bucket = aws_s3_bucket.adapters.id
  policy = data.aws_iam_policy_document.adapters_bucket.json
  # The public access block first, so that no policy is ever evaluated on an unprotected bucket.
  depends_on = [aws_s3_bucket_public_access_block.adapters]
}
