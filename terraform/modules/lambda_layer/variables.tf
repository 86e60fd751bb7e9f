variable "layer_name" {
  description = "Name of the layer."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,140}$", var.layer_name))
    error_message = "layer_name must be 1-140 characters of letters, digits, '-' or '_'."
  }
}

variable "description" {
  description = "Human-readable description of the layer."
  type        = string
  default     = ""
}

variable "filename" {
  description = "Path to the layer zip (build/layers/<name>.zip from layers/)."
  type        = string
}

variable "s3_bucket" {
  description = "Upload the zip to this bucket first; needed when the zip is over the 50 MB direct-upload limit. null uploads directly."
  type        = string
  default     = null
}

variable "compatible_runtimes" {
  description = "Runtimes the layer is published for."
  type        = list(string)
  default     = ["python3.12"]
}

variable "compatible_architectures" {
  description = "Architectures the layer's binaries run on."
  type        = list(string)
  default     = ["x86_64"]
}
