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
