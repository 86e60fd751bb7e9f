output "submission_queue_url" {
  description = "Where the intake API sends submissions."
  value       = module.judge.submission_queue_url
}

output "completion_queue_url" {
  description = "What the completion consumer drains."
  value       = module.judge.completion_queue_url
}

output "worker_failure_queue_url" {
  description = "Worker on-failure records the consumer drains."
  value       = module.judge.worker_failure_queue_url
}

output "submissions_bucket_name" {
  description = "Bucket for submission sources."
  value       = module.judge.submissions_bucket_name
}

output "database_host" {
  description = "RDS Proxy endpoint."
  value       = module.judge.database_host
}

output "database_secret_arn" {
  description = "RDS-managed master secret."
  value       = module.judge.database_secret_arn
}

output "database_worker_secret_arn" {
  description = "The workers' user's secret: run `judge-admin migrate --worker-secret-arn <this>` with the master secret after apply."
  value       = module.judge.database_worker_secret_arn
}

output "function_names" {
  description = "Every function by role."
  value       = module.judge.function_names
}

output "availability_zones" {
  description = "The AZs chosen for the VPC's subnets."
  value       = module.judge.availability_zones
}
