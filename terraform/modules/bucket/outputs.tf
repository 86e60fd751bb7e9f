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
