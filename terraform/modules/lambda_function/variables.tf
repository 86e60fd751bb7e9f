variable "function_name" {
  description = "Name of the Lambda function; also names its role and log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of letters, digits, '-' or '_'."
  }
}

variable "description" {
  description = "Human-readable description of the function."
  type        = string
  default     = ""
}

variable "filename" {
  description = "Path to the deployment zip (built by `make package` into build/functions/<name>.zip)."
  type        = string
}

variable "handler" {
  description = "Function entry point, module.function."
  type        = string
  default     = "handler.handler"
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.12"
}

variable "architecture" {
  description = "Instruction set; the toolchain layers are built for x86_64."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout" {
  description = "Function timeout in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "ephemeral_storage_size" {
  description = "Size of /tmp in MB (compilers and test data caches live there)."
  type        = number
  default     = 512

  validation {
    condition     = var.ephemeral_storage_size >= 512 && var.ephemeral_storage_size <= 10240
    error_message = "ephemeral_storage_size must be between 512 and 10240 MB."
  }
}

variable "environment" {
  description = "Environment variables. Never put secret values here: pass secret ARNs and read them at runtime."
  type        = map(string)
  default     = {}
}

variable "layers" {
  description = "Layer version ARNs, in order (at most 5)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.layers) <= 5
    error_message = "A Lambda function can use at most 5 layers."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions; -1 leaves the function unreserved."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrency >= -1
    error_message = "reserved_concurrency must be -1 (unreserved) or a non-negative number."
  }
}

variable "tracing_enabled" {
  description = "Active X-Ray tracing; adds the X-Ray write permissions to the role."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention for the function's log group."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key for the log group; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "KMS key for environment variables at rest; null uses the AWS-managed Lambda key."
  type        = string
  default     = null
}

variable "vpc_config" {
  description = "Attach the function to these subnets and security groups; null keeps it outside any VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition     = var.vpc_config == null || try(length(var.vpc_config.subnet_ids) > 0 && length(var.vpc_config.security_group_ids) > 0, false)
    error_message = "vpc_config needs at least one subnet and one security group."
  }
}

variable "policy_statements" {
  description = "Extra IAM statements for the execution role, written next to the caller that needs them. Each is allowed on the listed resources only."
  type = map(object({
    actions   = list(string)
    resources = list(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for s in values(var.policy_statements) : !contains(s.resources, "*") && !anytrue([for a in s.actions : endswith(a, ":*")])])
    error_message = "policy_statements must name resources and actions explicitly (no '*' resources or 'service:*' actions)."
  }

  validation {
    condition     = alltrue([for sid in keys(var.policy_statements) : can(regex("^[A-Za-z0-9]+$", sid))])
    error_message = "policy_statements keys become IAM statement ids and must be alphanumeric."
  }
}

variable "sqs_event_source" {
  description = "SQS queue that triggers the function through an event source mapping with partial batch responses."
  type = object({
    queue_arn                          = string
    batch_size                         = number
    maximum_batching_window_in_seconds = number
    maximum_concurrency                = number
  })
  default = null

  validation {
    condition     = var.sqs_event_source == null || try(var.sqs_event_source.maximum_concurrency >= 2 && var.sqs_event_source.maximum_concurrency <= 1000, false)
    error_message = "sqs_event_source.maximum_concurrency must be between 2 and 1000 (the SQS event source limit)."
  }
}

variable "async_invoke" {
  description = "Asynchronous invocation settings: retries, maximum event age and an SQS on-failure destination."
  type = object({
    maximum_retry_attempts       = number
    maximum_event_age_in_seconds = number
    on_failure_queue_arn         = string
  })
  default = null

  validation {
    condition = var.async_invoke == null || try(
      var.async_invoke.maximum_retry_attempts >= 0 && var.async_invoke.maximum_retry_attempts <= 2 &&
      var.async_invoke.maximum_event_age_in_seconds >= 60 && var.async_invoke.maximum_event_age_in_seconds <= 21600,
      false
    )
    error_message = "async_invoke needs maximum_retry_attempts in 0..2 and maximum_event_age_in_seconds in 60..21600."
  }
}

variable "tags" {
  description = "Tags for every resource of the function."
  type        = map(string)
  default     = {}
}

variable "schedule_expression" {
  description = "Invoke the function on this EventBridge schedule (e.g. rate(1 minute)); null: no schedule."
  type        = string
  default     = null

  validation {
    condition     = var.schedule_expression == null || can(regex("^(rate|cron)\\(.+\\)$", coalesce(var.schedule_expression, "-")))
    error_message = "schedule_expression must be rate(...) or cron(...)."
  }
}
