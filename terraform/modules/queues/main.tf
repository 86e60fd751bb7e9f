# The judge's queues, each with its DLQ mirrored next to it, encrypted, TLS-only, and watched.

locals {
  with_dlq = { for k, q in var.queues : k => q if q.dead_letter_queue }
  with_age_alarm = var.create_alarms ? {
    for k, q in var.queues : k => q if q.oldest_message_age_alarm_seconds != null
  } : {}
  all_queue_arns = merge(
    { for k, q in aws_sqs_queue.this : k => q.arn },
    { for k, q in aws_sqs_queue.dlq : "${k}-dlq" => q.arn },
  )
  all_queue_urls = merge(
    { for k, q in aws_sqs_queue.this : k => q.id },
    { for k, q in aws_sqs_queue.dlq : "${k}-dlq" => q.id },
  )
}

resource "aws_sqs_queue" "dlq" {
  for_each = local.with_dlq

  name                      = "${var.name_prefix}-${each.key}-dlq"
  message_retention_seconds = var.dlq_message_retention_seconds
  sqs_managed_sse_enabled   = var.kms_master_key_id == null ? true : null
  kms_master_key_id         = var.kms_master_key_id
  tags                      = var.tags
}

resource "aws_sqs_queue" "this" {
  for_each = var.queues

  name                       = "${var.name_prefix}-${each.key}-queue"
  visibility_timeout_seconds = each.value.visibility_timeout_seconds
  message_retention_seconds  = each.value.message_retention_seconds
  receive_wait_time_seconds  = each.value.receive_wait_time_seconds
  sqs_managed_sse_enabled    = var.kms_master_key_id == null ? true : null
  kms_master_key_id          = var.kms_master_key_id
  redrive_policy = each.value.dead_letter_queue ? jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = each.value.max_receive_count
  }) : null
  tags = var.tags
}

# Only the queue in front of a DLQ may move messages into it.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  for_each = local.with_dlq

  queue_url = aws_sqs_queue.dlq[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this[each.key].arn]
  })
}

resource "aws_sqs_queue_policy" "tls_only" {
  for_each = local.all_queue_urls

  queue_url = each.value
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "sqs:*"
      Resource  = local.all_queue_arns[each.key]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

# Anything in a DLQ is a submission that will not be judged without a person: alert on the first one.
resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each = var.create_alarms ? local.with_dlq : {}

  alarm_name          = "${var.name_prefix}-${each.key}-dlq-not-empty"
  alarm_description   = "Messages in ${aws_sqs_queue.dlq[each.key].name}: they failed ${each.value.max_receive_count} times."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq[each.key].name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

# A failure destination is a DLQ by another name: every message in it is a submission that failed.
resource "aws_cloudwatch_metric_alarm" "failure_destination_depth" {
  for_each = var.create_alarms ? { for k, q in var.queues : k => q if q.failure_destination } : {}

  alarm_name          = "${var.name_prefix}-${each.key}-queue-not-empty"
  alarm_description   = "Messages in ${aws_sqs_queue.this[each.key].name}: invocations that failed for good."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.this[each.key].name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

# An old message means the consumer is stuck or throttled, before anything reaches a DLQ.
resource "aws_cloudwatch_metric_alarm" "oldest_message_age" {
  for_each = local.with_age_alarm

  alarm_name          = "${var.name_prefix}-${each.key}-queue-backlog-age"
  alarm_description   = "Oldest message in ${aws_sqs_queue.this[each.key].name} is older than ${each.value.oldest_message_age_alarm_seconds} s."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = aws_sqs_queue.this[each.key].name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = each.value.oldest_message_age_alarm_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
