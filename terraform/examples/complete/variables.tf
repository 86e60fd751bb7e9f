variable "region" {
  description = "AWS region of the example deployment."
  type        = string
  default     = "eu-west-1"
}

variable "aws_provider_options" {
  description = "Provider checks to skip; the offline plan in tests skips credential and account checks."
  type = object({
    skip_credentials_validation = optional(bool, false)
    skip_requesting_account_id  = optional(bool, false)
    skip_metadata_api_check     = optional(bool, false)
    s3_use_path_style           = optional(bool, false)
  })
  default = {}
}
