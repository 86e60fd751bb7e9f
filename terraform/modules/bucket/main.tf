# The submissions bucket: private, encrypted, TLS-only, versioned, with expiry as configuration.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:cross-region replication of submission sources is a disaster-recovery choice for the platform team; the database is the system of record
  #checkov:skip=CKV2_AWS_62:nothing consumes bucket events: intake sends the queue message itself
  #checkov:skip=CKV_AWS_145:SSE-S3 by default; kms_key_arn switches to SSE-KMS
  #checkov:skip=CKV_AWS_18:access logging needs a log bucket the platform team owns; access_log_bucket turns it on
  bucket        = var.bucket_name
  bucket_prefix = var.bucket_name == null ? var.bucket_prefix : null
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = "BucketOwnerEnforced" # no ACLs: only IAM and the bucket policy grant access
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = var.versioning_enabled ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-old-versions"
    status = var.versioning_enabled ? "Enabled" : "Disabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  # Kept (disabled) when submission_expiration_days is null, so turning expiry on is a one-line diff.
  rule {
    id     = "expire-submissions"
    status = var.submission_expiration_days == null ? "Disabled" : "Enabled"
    filter {
      prefix = "submissions/"
    }
    expiration {
      days = coalesce(var.submission_expiration_days, 3650)
    }
  }

  # Large test inputs the workers stage for presigned GETs: needed for minutes, re-uploaded per
  # submission (same key, same bytes), so a few days after the last upload they can go.
  rule {
    id     = "expire-staged-testdata"
    status = var.testdata_expiration_days == null ? "Disabled" : "Enabled"
    filter {
      prefix = var.testdata_prefix
    }
    expiration {
      days = coalesce(var.testdata_expiration_days, 3650)
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  # Runs on custom input (runs/<id>/: a source and its stdin) are read once, by the worker that runs
  # them, within minutes: a few days later they can go, versions and all.
  rule {
    id     = "expire-runs"
    status = "Enabled"
    filter {
      prefix = "runs/"
    }
    expiration {
      days = var.run_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count         = var.access_log_bucket == null ? 0 : 1
  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3/${aws_s3_bucket.this.id}/"
}

resource "aws_s3_bucket_policy" "tls_only" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }], length(var.testdata_read_vpce_ids) == 0 ? [] : [{
      # A presigned testdata/ URL is a bearer token: whoever holds it may read the object until it
      # expires. Only the sandboxes' own endpoint may use one.
      Sid       = "TestdataOnlyThroughTheSandboxEndpoint"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.this.arn}/${var.testdata_prefix}*"
      Condition = { StringNotEquals = { "aws:SourceVpce" = var.testdata_read_vpce_ids } }
    }])
  })

  # A policy put before the public access block exists could be rejected as public.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
