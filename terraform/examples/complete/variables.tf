variable "region" {
  description = "AWS region of the example deployment."
  type        = string
  default     = "eu-west-1"
}
