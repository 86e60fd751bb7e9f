variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
}

variable "create" {
  description = "Create an RDS MySQL 8 instance; false attaches the existing database described by `existing`."
  type        = bool
  default     = true
}

variable "existing" {
  description = <<-EOT
    The database to use when create = false. secret_arn points at a Secrets Manager secret with
    {"username","password","host","port","dbname"}; leave it null and set `credentials` to have one created.
    worker_secret_arn, when set (and worker_user), is the workers' own user's secret ({"username","password"});
    null keeps the workers on secret_arn.
  EOT
  type = object({
    host              = string
    port              = optional(number, 3306)
    name              = string
    secret_arn        = optional(string)
    worker_secret_arn = optional(string)
  })
  default = null
}

variable "credentials" {
  description = "Username and password stored in a new secret for an existing database without secret_arn (e.g. the local MariaDB)."
  type = object({
    username = string
    password = string
  })
  default   = null
  sensitive = true
}

variable "vpc_id" {
  description = "VPC of the database security group."
  type        = string
  default     = null
}

variable "subnet_ids" {
  description = "Private subnets of the instance and the proxy (at least two AZs)."
  type        = list(string)
  default     = []
}

variable "allowed_security_groups" {
  description = "Security groups admitted on the database port, by a static name (e.g. worker, backend)."
  type        = map(string)
  default     = {}
}

variable "allowed_cidr_blocks" {
  description = "CIDRs admitted on the database port (e.g. a backend outside the VPC's security groups)."
  type        = list(string)
  default     = []
}

variable "engine_version" {
  description = "MySQL engine version (major or major.minor); 8.4 is the LTS line."
  type        = string
  default     = "8.4"

  validation {
    condition     = startswith(var.engine_version, "8.")
    error_message = "The judge targets MySQL 8: engine_version must start with 8."
  }
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.small"
}

variable "allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB (0 disables autoscaling)."
  type        = number
  default     = 100
}

variable "db_name" {
  description = "Name of the judge schema."
  type        = string
  default     = "judge"
}

variable "master_username" {
  description = "Master user; its password is generated and kept in Secrets Manager by RDS."
  type        = string
  default     = "judge_admin"
}

variable "multi_az" {
  description = "Standby in a second AZ."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is turned off."
  type        = bool
  default     = true
}

variable "backup_retention_period" {
  description = "Days of automated backups (0 disables them)."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_period >= 0 && var.backup_retention_period <= 35
    error_message = "backup_retention_period must be between 0 and 35 days."
  }
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot."
  type        = bool
  default     = false
}

variable "kms_key_id" {
  description = "KMS key for storage and the master password secret; null uses the AWS-managed keys."
  type        = string
  default     = null
}

variable "performance_insights_enabled" {
  description = "Performance Insights (not available on the smallest instance classes)."
  type        = bool
  default     = false
}

variable "create_proxy" {
  description = "Put an RDS Proxy in front of the instance so that many concurrent Lambda invocations share few connections."
  type        = bool
  default     = false
}

variable "proxy_require_tls" {
  description = "Clients must use TLS to the proxy."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every database resource."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Retention of the exported error and slow-query logs."
  type        = number
  default     = 30
}

variable "long_query_time_seconds" {
  description = "Queries slower than this go to the slow-query log (exported to CloudWatch)."
  type        = number
  default     = 1
}

variable "worker_user" {
  description = "Give the workers a least-privilege user of their own (store/grants.py): a created instance gets a secret for it (username worker_username, a generated password) and the proxy an auth entry; an existing database uses existing.worker_secret_arn when set. The user is made by `judge-admin migrate --worker-secret-arn`. False keeps the workers on the master secret."
  type        = bool
  default     = true
}

variable "worker_username" {
  description = "Name of the workers' database user."
  type        = string
  default     = "judge_worker"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,32}$", var.worker_username))
    error_message = "worker_username: letters, digits and '_', at most 32 (MySQL's limit)."
  }
}
