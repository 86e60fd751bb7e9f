output "submission_queue_url" {
  description = "Intake sends SubmissionMessage v1 here."
  value       = module.queues.queues["submission"].url
}

output "submission_queue_arn" {
  description = "ARN of the submission queue (the backend role needs sqs:SendMessage on it)."
  value       = module.queues.queues["submission"].arn
}

output "submission_dlq_url" {
  description = "Dead-letter queue of the submission queue (poison messages end here; alarmed)."
  value       = module.queues.dead_letter_queues["submission"].url
}

output "submission_dlq_arn" {
  description = "ARN of the submission DLQ."
  value       = module.queues.dead_letter_queues["submission"].arn
}

output "completion_queue_url" {
  description = "The backend consumer drains CompletionMessage v1 from here."
  value       = module.queues.queues["completion"].url
}

output "completion_queue_arn" {
  description = "ARN of the completion queue (the consumer needs receive/delete on it)."
  value       = module.queues.queues["completion"].arn
}

output "completion_dlq_url" {
  description = "Dead-letter queue of the completion queue: results the consumer could not apply in maxReceiveCount tries; the consumer drains it too (COMPLETION_DLQ_URL; alarmed)."
  value       = module.queues.dead_letter_queues["completion"].url
}

output "completion_dlq_arn" {
  description = "ARN of the completion DLQ."
  value       = module.queues.dead_letter_queues["completion"].arn
}

output "worker_failure_queue_url" {
  description = "Lambda on-failure records of workers; the consumer turns them into FAILED submissions."
  value       = module.queues.queues["worker-failure"].url
}

output "worker_failure_queue_arn" {
  description = "ARN of the worker failure destination queue."
  value       = module.queues.queues["worker-failure"].arn
}

output "submissions_bucket_name" {
  description = "Intake puts sources at s3://<bucket>/submissions/<id>/<Main.ext> with SSE."
  value       = module.bucket.bucket_name
}

output "submissions_bucket_arn" {
  description = "ARN of the submissions bucket."
  value       = module.bucket.bucket_arn
}

output "database_host" {
  description = "Database host for the backend (the RDS Proxy endpoint when enabled)."
  value       = module.database.host
}

output "database_port" {
  description = "Database port."
  value       = module.database.port
}

output "database_name" {
  description = "Database schema name."
  value       = module.database.name
}

output "database_secret_arn" {
  description = "Secrets Manager secret with the database's master credentials: the backend and its migrations (judge-admin) use it."
  value       = module.database.secret_arn
}

output "database_worker_secret_arn" {
  description = "Secret of the workers' least-privilege user (null when the workers use the master secret): run `judge-admin migrate --worker-secret-arn <this>` with the master secret after each apply that changes it, before the workers judge."
  value       = module.database.worker_user_secret_arn
}

output "database_tls_required" {
  description = "Whether the database refuses connections without TLS: the backend then needs DB_TLS=true (and DB_TLS_CA with the RDS CA bundle to verify an instance without the proxy)."
  value       = module.database.tls_required
}

output "dispatcher_function_name" {
  description = "The dispatcher function."
  value       = module.dispatcher.function_name
}

output "worker_function_names" {
  description = "Worker functions by language key (python, java, cpp)."
  value       = { for k, m in module.worker : k => m.function_name }
}

output "sandbox_function_names" {
  description = "Sandbox functions by language key."
  value       = { for k, m in module.sandbox : k => m.function_name }
}

output "worker_functions_by_language" {
  description = "Language → worker function name, as given to the dispatcher in WORKER_FUNCTIONS."
  value       = local.worker_functions_by_language
}

output "outbox_relay_function_name" {
  description = "The scheduled outbox relay: sends the submission messages the outbox holds unsent."
  value       = module.outbox_relay.function_name
}

output "sweeper_function_name" {
  description = "The scheduled sweeper: sends stuck submissions again once, then ends them FAILED."
  value       = module.sweeper.function_name
}

output "function_names" {
  description = "Every function by role (dispatcher, outbox_relay, sweeper, worker_<key>, sandbox_<key>, and api and consumer when enabled)."
  value = merge(
    { dispatcher = module.dispatcher.function_name, outbox_relay = module.outbox_relay.function_name, sweeper = module.sweeper.function_name },
    { for k, m in module.worker : "worker_${k}" => m.function_name },
    { for k, m in module.sandbox : "sandbox_${k}" => m.function_name },
    { for m in module.api : "api" => m.function_name },
    { for m in module.consumer : "consumer" => m.function_name },
  )
}

output "layer_arns" {
  description = "Toolchain layer versions in use by name."
  value       = local.layer_arns
}

output "vpc_id" {
  description = "VPC of the functions and the database."
  value       = module.network.vpc_id
}

output "availability_zones" {
  description = "AZs of the created VPC's subnets, given or chosen (empty for a bring-your-own VPC)."
  value       = module.network.availability_zones
}

output "worker_security_group_id" {
  description = "Security group of the workers: admit it on 443 at the backend when the webhook is used."
  value       = module.network.worker_security_group_id
}

output "alarm_names" {
  description = "CloudWatch alarms on the queues."
  value       = module.queues.alarm_names
}

output "backend_policy_arn" {
  description = "Managed policy with exactly what the backend needs (queue submissions, store sources, drain results, read the database secret, use the keys)."
  value       = aws_iam_policy.backend.arn
}

output "backend_role_arn" {
  description = "Role with the backend policy, assumable by backend_role_principals (null when that list is empty)."
  value       = try(aws_iam_role.backend[0].arn, null)
}

output "dashboard_name" {
  description = "CloudWatch dashboard: queue depth, judging time, verdicts, cost per submission."
  value       = aws_cloudwatch_dashboard.judge.dashboard_name
}

output "api_endpoint" {
  description = "URL of the intake API (API Gateway HTTP API, $default stage); null when api_enabled is false."
  value       = try(module.api[0].api_endpoint, null)
}

output "api" {
  description = "The deployed API (null when api_enabled is false): its id, execution ARN, stage (throttling, access log group), function and role."
  value = var.api_enabled ? {
    api_id           = module.api[0].api_id
    execution_arn    = module.api[0].execution_arn
    stage            = module.api[0].stage
    function_name    = module.api[0].function_name
    role_name        = module.api[0].role_name
    access_log_group = module.api[0].access_log_group_name
  } : null
}

output "consumer_function_name" {
  description = "The completion consumer's Lambda function; null when consumer_lambda_enabled is false."
  value       = try(module.consumer[0].function_name, null)
}
