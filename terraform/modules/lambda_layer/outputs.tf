output "arn" {
  description = "ARN of the published layer version, for a function's layers list."
  value       = aws_lambda_layer_version.this.arn
}

output "s3_object" {
  description = "Where the zip was staged (bucket and key), or null when it went in the API request."
  value       = try({ bucket = aws_s3_object.this[0].bucket, key = aws_s3_object.this[0].key }, null)
}

output "version" {
  description = "Version number of the published layer."
  value       = aws_lambda_layer_version.this.version
}
