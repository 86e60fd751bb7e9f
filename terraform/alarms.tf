# Alarms that reach someone: an SNS topic of its own unless alarm_actions names where to send them,
# on every function (errors, throttles, and for the asynchronously invoked workers dropped and aging
# events) and on the database. The queues module adds DLQ depth and backlog age on the queues.

locals {
  alarm_topic   = var.create_alarms && length(var.alarm_actions) == 0
  alarm_actions = local.alarm_topic ? [aws_sns_topic.alarms[0].arn] : var.alarm_actions
  functions = merge(
    { dispatcher = module.dispatcher.function_name },
    { outbox_relay = module.outbox_relay.function_name, sweeper = module.sweeper.function_name },
    { for k, w in module.worker : "worker_${k}" => w.function_name },
    { for k, s in module.sandbox : "sandbox_${k}" => s.function_name },
  )
  # What each kind of function alarms on: a sandbox error is usually a submission's doing (it may
  # kill its handler), so only throttles there; workers are invoked asynchronously.
  function_alarms = var.create_alarms ? merge([
    for name, function in local.functions : merge(
      { "${name}-throttles" = { function = function, metric = "Throttles", statistic = "Sum", threshold = 0 } },
      startswith(name, "sandbox_") ? {} : {
        "${name}-errors" = { function = function, metric = "Errors", statistic = "Sum", threshold = 0 }
      },
      startswith(name, "worker_") ? {
        "${name}-async-events-dropped" = { function = function, metric = "AsyncEventsDropped", statistic = "Sum", threshold = 0 }
        "${name}-async-event-age"      = { function = function, metric = "AsyncEventAge", statistic = "Maximum", threshold = var.worker_event_age_alarm_seconds * 1000 }
      } : {},
    )
  ]...) : {}
}

resource "aws_sns_topic" "alarms" {
  count             = local.alarm_topic ? 1 : 0
  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each  = local.alarm_topic ? toset(var.alarm_emails) : toset([])
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "function" {
  for_each = local.function_alarms

  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = "${each.value.metric} of ${each.value.function} above ${each.value.threshold} over 5 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = each.value.function }
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "database" {
  for_each = var.create_alarms && var.create_database ? {
    connections  = { metric = "DatabaseConnections", statistic = "Maximum", threshold = var.database_connections_alarm, operator = "GreaterThanThreshold" }
    free-storage = { metric = "FreeStorageSpace", statistic = "Minimum", threshold = var.database_free_storage_alarm_gib * 1073741824, operator = "LessThanThreshold" }
  } : {}

  alarm_name          = "${var.name_prefix}-database-${each.key}"
  alarm_description   = "${each.value.metric} of ${module.database.instance_identifier} past ${each.value.threshold}."
  namespace           = "AWS/RDS"
  metric_name         = each.value.metric
  dimensions          = { DBInstanceIdentifier = module.database.instance_identifier }
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 2
  threshold           = each.value.threshold
  comparison_operator = each.value.operator
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
