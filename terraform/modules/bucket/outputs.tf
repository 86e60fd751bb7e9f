output "bucket_name" {
  description = "Name of the submissions bucket."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the submissions bucket."
  value       = aws_s3_bucket.this.arn
}

output "policy" {
  description = "The bucket policy (TLS only) as JSON."
  value       = aws_s3_bucket_policy.tls_only.policy
}

output "lifecycle_rules" {
  description = "Each lifecycle rule: id, status, prefix (null: every object) and whether it expires current objects."
  value = [for r in aws_s3_bucket_lifecycle_configuration.this.rule : {
    id      = r.id
    status  = r.status
    prefix  = try(r.filter[0].prefix, null)
    expires = length(r.expiration) > 0
  }]
}
