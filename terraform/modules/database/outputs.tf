output "host" {
  description = "Host the workers and the backend connect to (the proxy endpoint when there is one)."
  value       = local.host
}

output "port" {
  description = "Database port."
  value       = local.port
}

output "name" {
  description = "Database (schema) name."
  value       = local.name
}

output "secret_arn" {
  description = "Secrets Manager secret with the credentials (RDS-managed secrets hold username and password only; host, port and name come from the outputs above)."
  value       = local.secret_arn
}

output "worker_secret_arn" {
  description = "The secret the workers connect with: the workers' own user's when there is one, else the master secret."
  value       = local.worker_secret_arn
}

output "worker_user_secret_arn" {
  description = "The workers' own user's secret (null when the workers use the master secret): give it to `judge-admin migrate --worker-secret-arn`."
  value       = local.worker_user_secret_arn
}

output "tls_required" {
  description = "Whether every client must use TLS (the proxy's require_tls, or require_secure_transport on an instance without it)."
  value       = var.create && (var.create_proxy ? var.proxy_require_tls : true)
}

output "security_group_id" {
  description = "Security group of the created instance and proxy (null for an existing database)."
  value       = try(aws_security_group.this[0].id, null)
}

output "instance_identifier" {
  description = "Identifier of the created RDS instance (null for an existing database)."
  value       = try(aws_db_instance.this[0].identifier, null)
}

output "log_groups" {
  description = "The exported logs' groups by log (error, slowquery), with their retention."
  value       = { for log, group in aws_cloudwatch_log_group.exports : log => { name = group.name, retention_in_days = group.retention_in_days } }
}

output "parameter_family" {
  description = "The parameter group family the instance's parameters are written for."
  value       = local.parameter_family
}

output "parameters" {
  description = "The instance's non-default parameters."
  value       = try({ for p in aws_db_parameter_group.this[0].parameter : p.name => p.value }, {})
}

output "proxy_auth_secret_arns" {
  description = "The secrets of the RDS Proxy's auth entries, the users it logs in as (empty without a proxy)."
  value       = try([for auth in aws_db_proxy.this[0].auth : auth.secret_arn], [])
}

output "proxy_role_policy" {
  description = "The RDS Proxy role's policy document (null without a proxy)."
  value       = try(aws_iam_role_policy.proxy[0].policy, null)
}
