variable "name_prefix" {
  description = "Prefix of every queue name (<prefix>-<key>-queue, <prefix>-<key>-dlq)."
  type        = string
}

variable "queues" {
  description = <<-EOT
    Queues by key. A queue with dead_letter_queue = true gets a DLQ next to it that receives a message
    after max_receive_count failed receives. oldest_message_age_alarm_seconds = null means no age alarm.
    failure_destination = true alarms on the queue's own depth, as on a DLQ's.
  EOT
  type = map(object({
    visibility_timeout_seconds       = number
    message_retention_seconds        = optional(number, 345600)
    receive_wait_time_seconds        = optional(number, 20)
    dead_letter_queue                = optional(bool, false)
    max_receive_count                = optional(number, 5)
    oldest_message_age_alarm_seconds = optional(number)
    # A queue that is itself where failures land (a Lambda on-failure destination): alarmed on depth
    # like a DLQ.
    failure_destination = optional(bool, false)
  }))

  validation {
    condition = alltrue([for q in values(var.queues) :
      q.visibility_timeout_seconds >= 0 && q.visibility_timeout_seconds <= 43200 &&
      q.message_retention_seconds >= 60 && q.message_retention_seconds <= 1209600 &&
      q.receive_wait_time_seconds >= 0 && q.receive_wait_time_seconds <= 20 &&
      q.max_receive_count >= 1 && q.max_receive_count <= 1000
    ])
    error_message = "Each queue needs visibility_timeout_seconds 0..43200, message_retention_seconds 60..1209600, receive_wait_time_seconds 0..20 and max_receive_count 1..1000."
  }
}

variable "dlq_message_retention_seconds" {
  description = "Retention of the dead-letter queues: longer than their source queues so a message is not lost before someone looks."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600."
  }
}

variable "kms_master_key_id" {
  description = "KMS key for server-side encryption; null uses SQS-managed SSE. A customer key must let Lambda and the backend use it."
  type        = string
  default     = null
}

variable "create_alarms" {
  description = "Create CloudWatch alarms on DLQ depth and on the age of the oldest message."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires or recovers (e.g. an SNS topic)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every queue and alarm."
  type        = map(string)
  default     = {}
}
