variable "bucket_name" {
  description = "Name of the submissions bucket (globally unique); null generates one from bucket_prefix."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits, '.' or '-'."
  }
}

variable "bucket_prefix" {
  description = "Prefix of the generated name when bucket_name is null."
  type        = string
  default     = "judge-submissions-"
}

variable "force_destroy" {
  description = "Allow destroying the bucket with objects in it (for throwaway environments only)."
  type        = bool
  default     = false
}

variable "versioning_enabled" {
  description = "Keep previous versions of overwritten or deleted objects."
  type        = bool
  default     = true
}

variable "submission_expiration_days" {
  description = "Delete submission source code this many days after upload; null keeps it forever."
  type        = number
  default     = null

  validation {
    condition     = var.submission_expiration_days == null || try(var.submission_expiration_days >= 1, false)
    error_message = "submission_expiration_days must be at least 1 (or null)."
  }
}

variable "run_expiration_days" {
  description = "Delete the sources and stdin of runs on custom input (runs/) this many days after upload."
  type        = number
  default     = 3

  validation {
    condition     = var.run_expiration_days >= 1
    error_message = "run_expiration_days must be at least 1."
  }
}

variable "testdata_expiration_days" {
  description = "Delete staged test inputs (testdata/) this many days after upload, and their previous versions a day after they are replaced; null keeps them."
  type        = number
  default     = 3

  validation {
    condition     = var.testdata_expiration_days == null || try(var.testdata_expiration_days >= 1, false)
    error_message = "testdata_expiration_days must be at least 1 (or null)."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Delete previous object versions after this many days."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS; null uses SSE-S3 (AES-256). Writers and readers then need kms:GenerateDataKey/Decrypt."
  type        = string
  default     = null
}

variable "access_log_bucket" {
  description = "Bucket receiving S3 server access logs; null disables access logging."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}

variable "testdata_read_vpce_ids" {
  description = "VPC endpoints through which objects under testdata_prefix may be read; empty allows any (a Deny for every other source otherwise)."
  type        = list(string)
  default     = []
}

variable "testdata_prefix" {
  description = "Key prefix of the staged test inputs."
  type        = string
  default     = "testdata/"
}
