# One Lambda function with everything it owns: role, least-privilege policy, log group, optional SQS
# trigger and optional asynchronous-invocation settings.

locals {
  eni_actions = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
  ]

  statements = concat(
    [{
      Sid      = "WriteOwnLogs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
    }],
    [for s in [{
      Sid      = "WriteTraces"
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      Resource = ["*"] # X-Ray has no resource-level permissions
    }] : s if var.tracing_enabled],
    [for s in [
      {
        Sid      = "ManageVpcNetworkInterfaces"
        Effect   = "Allow"
        Action   = local.eni_actions
        Resource = ["*"] # DescribeNetworkInterfaces only works on "*"; the Deny below keeps it from the code
      },
      {
        # Lambda creates ENIs with the role but without lambda:SourceFunctionArn; every call made from
        # inside the execution environment carries it. So the service keeps the permission and the code
        # (which, for sandboxes, is the submission) does not get it.
        Sid       = "DenyNetworkInterfacesToFunctionCode"
        Effect    = "Deny"
        Action    = local.eni_actions
        Resource  = ["*"]
        Condition = { Null = { "lambda:SourceFunctionArn" = "false" } }
      },
    ] : s if var.vpc_config != null],
    [for s in [{
      Sid      = "ReadEventSourceQueue"
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
      Resource = [try(var.sqs_event_source.queue_arn, null)]
    }] : s if var.sqs_event_source != null],
    [for s in [{
      # Lambda delivers on-failure records with the function's own role.
      Sid      = "SendToOnFailureDestination"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage"]
      Resource = [try(var.async_invoke.on_failure_queue_arn, null)]
    }] : s if var.async_invoke != null],
    [for sid, s in var.policy_statements : {
      Sid      = sid
      Effect   = "Allow"
      Action   = s.actions
      Resource = s.resources
    }],
  )
}

resource "aws_iam_role" "this" {
  name        = var.function_name
  description = "Execution role of the ${var.function_name} Lambda function"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  #checkov:skip=CKV_AWS_290:the only unconstrained writes are ENI management, which Lambda requires on "*" and the Deny statement withholds from the function code
  #checkov:skip=CKV_AWS_355:X-Ray and ENI describe actions have no resource-level permissions; every other statement names its resources
  name   = "least-privilege"
  role   = aws_iam_role.this.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:judge logs are operational, not audit records; retention is the log_retention_days variable
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer key is optional through log_kms_key_arn
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:failed asynchronous events go to the on-failure destination (async_invoke), which supersedes a DLQ; the other functions are invoked synchronously
  #checkov:skip=CKV_AWS_173:environment holds names, URLs and secret ARNs only, never secret values; kms_key_arn is optional
  #checkov:skip=CKV_AWS_272:code signing needs a signing profile the platform team owns; the zips are built reproducibly from reviewed sources
  #checkov:skip=CKV_AWS_117:every function that reaches the database or runs submitted code is in the VPC (vpc_config); the dispatcher calls only public AWS APIs and is left out on purpose (terraform/tests: run "functions_in_the_vpc")
  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  filename                       = var.filename
  source_code_hash               = try(filebase64sha256(var.filename), null) # absent before `make package`; plan still works
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  layers                         = var.layers
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  ephemeral_storage {
    size = var.ephemeral_storage_size
  }

  dynamic "environment" {
    for_each = length(var.environment) > 0 ? [var.environment] : []
    content {
      variables = environment.value
    }
  }

  dynamic "vpc_config" {
    for_each = var.vpc_config == null ? [] : [var.vpc_config]
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tracing_config {
    mode = var.tracing_enabled ? "Active" : "PassThrough"
  }

  tags = var.tags

  # The role must already carry the ENI and logging permissions when the function is created.
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}

resource "aws_lambda_event_source_mapping" "sqs" {
  count = var.sqs_event_source == null ? 0 : 1

  event_source_arn                   = var.sqs_event_source.queue_arn
  function_name                      = aws_lambda_function.this.arn
  batch_size                         = var.sqs_event_source.batch_size
  maximum_batching_window_in_seconds = var.sqs_event_source.maximum_batching_window_in_seconds
  # Only the failed records of a batch return to the queue, not the whole batch.
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.sqs_event_source.maximum_concurrency
  }

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  count = var.async_invoke == null ? 0 : 1

  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_invoke.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_invoke.maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = var.async_invoke.on_failure_queue_arn
    }
  }

  depends_on = [aws_iam_role_policy.this]
}

# A scheduled function: an EventBridge rule that invokes it, and the permission for EventBridge to.
resource "aws_cloudwatch_event_rule" "schedule" {
  count = var.schedule_expression == null ? 0 : 1

  name                = var.function_name
  description         = "Invokes ${var.function_name} on ${var.schedule_expression}"
  schedule_expression = var.schedule_expression
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "schedule" {
  count = var.schedule_expression == null ? 0 : 1

  rule = aws_cloudwatch_event_rule.schedule[0].name
  arn  = aws_lambda_function.this.arn
}

resource "aws_lambda_permission" "schedule" {
  count = var.schedule_expression == null ? 0 : 1

  statement_id  = "InvokeOnSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[0].arn
}
