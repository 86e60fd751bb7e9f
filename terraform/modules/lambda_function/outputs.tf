output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the execution role, to attach more policies from outside."
  value       = aws_iam_role.this.name
}

output "policy_document" {
  description = "The execution role's inline policy as JSON (what the function may do)."
  value       = aws_iam_role_policy.this.policy
}

output "log_group_name" {
  description = "CloudWatch Logs group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "environment" {
  description = "Environment variables set on the function."
  value       = try(aws_lambda_function.this.environment[0].variables, {})
}

output "vpc_config" {
  description = "Subnets and security groups the function is attached to (null outside a VPC)."
  value = length(aws_lambda_function.this.vpc_config) == 0 ? null : {
    subnet_ids         = aws_lambda_function.this.vpc_config[0].subnet_ids
    security_group_ids = aws_lambda_function.this.vpc_config[0].security_group_ids
  }
}

output "event_source_mapping" {
  description = "The SQS event source mapping (null without one)."
  value = var.sqs_event_source == null ? null : {
    uuid                               = aws_lambda_event_source_mapping.sqs[0].uuid
    event_source_arn                   = aws_lambda_event_source_mapping.sqs[0].event_source_arn
    batch_size                         = aws_lambda_event_source_mapping.sqs[0].batch_size
    maximum_batching_window_in_seconds = aws_lambda_event_source_mapping.sqs[0].maximum_batching_window_in_seconds
    function_response_types            = aws_lambda_event_source_mapping.sqs[0].function_response_types
    maximum_concurrency                = aws_lambda_event_source_mapping.sqs[0].scaling_config[0].maximum_concurrency
  }
}

output "async_invoke_config" {
  description = "Asynchronous invocation settings (null without them)."
  value = var.async_invoke == null ? null : {
    maximum_retry_attempts       = aws_lambda_function_event_invoke_config.this[0].maximum_retry_attempts
    maximum_event_age_in_seconds = aws_lambda_function_event_invoke_config.this[0].maximum_event_age_in_seconds
    on_failure_destination       = aws_lambda_function_event_invoke_config.this[0].destination_config[0].on_failure[0].destination
  }
}

output "schedule_rule_arn" {
  description = "ARN of the EventBridge rule that invokes the function (null without a schedule)."
  value       = try(aws_cloudwatch_event_rule.schedule[0].arn, null)
}
