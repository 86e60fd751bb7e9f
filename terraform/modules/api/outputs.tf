output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "The API's URL (https://<id>.execute-api.<region>.amazonaws.com); its $default stage serves it at the root."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "execution_arn" {
  description = "The API's execution ARN (what the function's invoke permission is scoped to)."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "stage" {
  description = "The $default stage: its throttling and where its access logs go."
  value = {
    name                   = aws_apigatewayv2_stage.default.name
    throttling_burst_limit = aws_apigatewayv2_stage.default.default_route_settings[0].throttling_burst_limit
    throttling_rate_limit  = aws_apigatewayv2_stage.default.default_route_settings[0].throttling_rate_limit
    access_log_group       = aws_cloudwatch_log_group.access.name
  }
}

output "function_name" {
  description = "Name of the API function."
  value       = module.function.function_name
}

output "function_arn" {
  description = "ARN of the API function."
  value       = module.function.function_arn
}

output "role_name" {
  description = "The API function's execution role."
  value       = module.function.role_name
}

output "policy_document" {
  description = "The execution role's inline policy (logs, ENIs, X-Ray); the rest is the attached backend policy."
  value       = module.function.policy_document
}

output "environment" {
  description = "Environment variables of the API function."
  value       = module.function.environment
}

output "vpc_config" {
  description = "Subnets and security groups of the API function."
  value       = module.function.vpc_config
}

output "access_log_group_name" {
  description = "CloudWatch Logs group of the access logs (JSON, one object per request)."
  value       = aws_cloudwatch_log_group.access.name
}

output "attached_policy_arns" {
  description = "Managed policies attached to the API function's role: the backend policy, only."
  value       = [aws_iam_role_policy_attachment.backend.policy_arn]
}
