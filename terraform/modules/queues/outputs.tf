output "queues" {
  description = "Queues by key: name, url, arn and the redrive policy."
  value = {
    for k, q in aws_sqs_queue.this : k => {
      name                       = q.name
      url                        = q.id
      arn                        = q.arn
      visibility_timeout_seconds = q.visibility_timeout_seconds
      redrive_policy             = q.redrive_policy
      sse_enabled                = coalesce(q.sqs_managed_sse_enabled, false) || q.kms_master_key_id != null
    }
  }
}

output "dead_letter_queues" {
  description = "Dead-letter queues by the key of their source queue: name, url, arn."
  value = {
    for k, q in aws_sqs_queue.dlq : k => {
      name        = q.name
      url         = q.id
      arn         = q.arn
      sse_enabled = coalesce(q.sqs_managed_sse_enabled, false) || q.kms_master_key_id != null
    }
  }
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms created for the queues."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.dlq_depth : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.failure_destination_depth : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.oldest_message_age : a.alarm_name],
  )
}
