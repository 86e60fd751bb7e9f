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
