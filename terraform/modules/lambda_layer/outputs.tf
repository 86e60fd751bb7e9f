output "arn" {
  description = "ARN of the published layer version, for a function's layers list."
  value       = aws_lambda_layer_version.this.arn
}

output "version" {
  description = "Version number of the published layer."
  value       = aws_lambda_layer_version.this.version
}
