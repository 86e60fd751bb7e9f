variable "name_prefix" {
  description = "Prefix of every name: the API and its function are <prefix>-api."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-41 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "filename" {
  description = "The API's deployment zip (build/functions/backend_api.zip, written by `make package`)."
  type        = string
}

variable "handler" {
  description = "The Mangum handler in the zip, module.attribute."
  type        = string
  default     = "backend.api.lambda_entry.handler"
}

variable "memory_size" {
  description = "Memory of the API function in MB (CPU scales with it)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Timeout of the API function in seconds; at most 30, API Gateway's own limit for an integration."
  type        = number
  default     = 29

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 30
    error_message = "timeout must be between 1 and 30 seconds (API Gateway stops waiting at 30)."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions of the API function (also a bound on its database connections); -1 leaves it unreserved."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrency >= -1
    error_message = "reserved_concurrency must be -1 (unreserved) or a non-negative number."
  }
}

variable "environment" {
  description = "The API function's environment: what backend/api/lambda_entry.py reads (SUBMISSIONS_BUCKET, SUBMISSION_QUEUE_URL, PACKAGE_BUCKET, DB_SECRET_ARN, DB_*). Secret ARNs, never secret values."
  type        = map(string)

  validation {
    condition     = alltrue([for name in ["SUBMISSIONS_BUCKET", "SUBMISSION_QUEUE_URL", "DB_SECRET_ARN"] : contains(keys(var.environment), name)])
    error_message = "environment must set SUBMISSIONS_BUCKET, SUBMISSION_QUEUE_URL and DB_SECRET_ARN (the API reads the database password from the secret)."
  }

  validation {
    condition     = !contains(keys(var.environment), "DB_PASSWORD")
    error_message = "environment must not carry DB_PASSWORD: pass DB_SECRET_ARN."
  }
}

variable "vpc_config" {
  description = "Subnets and security groups of the API function: it reaches the database (or its proxy) there, and S3, SQS and Secrets Manager through the VPC's endpoints."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })

  validation {
    condition     = length(var.vpc_config.subnet_ids) > 0 && length(var.vpc_config.security_group_ids) > 0
    error_message = "vpc_config needs at least one subnet and one security group."
  }
}

variable "backend_policy_arn" {
  description = "The backend's managed policy (queue submissions, store sources, read the database secret), attached to the function's role."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:iam::[0-9]{12}:policy/.+$", var.backend_policy_arn))
    error_message = "backend_policy_arn must be an IAM policy ARN."
  }
}

variable "throttling_rate_limit" {
  description = "Requests per second the API's $default stage lets through on average (every route); above it the gateway answers 429."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit > 0 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be above 0 and at most 10000 (the account's default quota)."
  }
}

variable "throttling_burst_limit" {
  description = "Requests the $default stage lets through at once above the rate (the token bucket's size)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit >= 1 && var.throttling_burst_limit <= 5000 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number between 1 and 5000 (the account's default quota)."
  }
}

variable "detailed_metrics_enabled" {
  description = "Per-route CloudWatch metrics (billed as custom metrics)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Retention of the access logs and of the function's logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key for the access log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "tracing_enabled" {
  description = "Active X-Ray tracing of the API function."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource of the API."
  type        = map(string)
  default     = {}
}
