# The backend on Lambda (backend_functions.tf, modules/api), checked against a mocked AWS provider:
# off by default (callers from before are unaffected), and when on, what the API and the consumer
# may do, where their requests and logs go.

mock_provider "aws" {
  source = "./tests/mocks"

  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"], zone_ids = ["euw1-az1", "euw1-az2", "euw1-az3"] }
  }
  mock_data "aws_vpc_endpoint_service" {
    defaults = { availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
  }
}

override_resource {
  target = module.queues.aws_sqs_queue.this["submission"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-submission-queue", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-submission-queue", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-submission-queue" }
}
override_resource {
  target = module.queues.aws_sqs_queue.this["completion"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-completion-queue", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-completion-queue", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-completion-queue" }
}
override_resource {
  target = module.queues.aws_sqs_queue.this["worker-failure"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-worker-failure-queue", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-worker-failure-queue", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-worker-failure-queue" }
}
override_resource {
  target = module.queues.aws_sqs_queue.dlq["submission"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-submission-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-submission-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-submission-dlq" }
}
override_resource {
  target = module.queues.aws_sqs_queue.dlq["completion"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-completion-dlq", id = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-completion-dlq", url = "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-completion-dlq" }
}
override_resource {
  target = module.bucket.aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::oj-submissions-mock", id = "oj-submissions-mock", bucket = "oj-submissions-mock" }
}
override_resource {
  target = module.database.aws_secretsmanager_secret.worker[0]
  values = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:oj-db-worker-mock", id = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:oj-db-worker-mock" }
}

variables {
  availability_zones = ["eu-west-1a", "eu-west-1b"]
}

run "off_by_default" {
  command = apply

  assert {
    condition     = length(module.api) == 0 && length(module.consumer) == 0 && length(aws_lambda_event_source_mapping.consumer) == 0 && length(aws_iam_role_policy_attachment.consumer_backend) == 0
    error_message = "Without api_enabled and consumer_lambda_enabled the module creates no API, no API function and no consumer function."
  }
  assert {
    condition     = output.api_endpoint == null && output.api == null && output.consumer_function_name == null
    error_message = "The API outputs are null when the API is off."
  }
}

run "api_function_is_the_backend_in_the_vpc" {
  command = apply

  variables {
    api_enabled     = true
    tracing_enabled = false
    api_environment = { SUBMISSION_RATE_LIMIT = "10/60", DB_HOST = "not-this-one" }
  }

  assert {
    condition     = module.api[0].attached_policy_arns == [aws_iam_policy.backend.arn]
    error_message = "The API's role carries the backend policy (backend_access.tf)."
  }
  assert {
    condition     = toset([for st in jsondecode(module.api[0].policy_document).Statement : st.Sid]) == toset(["WriteOwnLogs", "ManageVpcNetworkInterfaces", "DenyNetworkInterfacesToFunctionCode"])
    error_message = "Beyond the backend policy the API's role may write its own logs and manage its ENIs, nothing else."
  }
  assert {
    condition     = module.api[0].vpc_config != null && module.api[0].vpc_config.security_group_ids == toset([module.network.worker_security_group_id]) && module.api[0].vpc_config.subnet_ids == toset(module.network.private_subnet_ids)
    error_message = "The API function runs in the private subnets with the workers' security group (database, VPC endpoints)."
  }
  assert {
    condition = (
      module.api[0].environment["DB_SECRET_ARN"] == module.database.secret_arn &&
      module.api[0].environment["DB_HOST"] == module.database.host &&
      !contains(keys(module.api[0].environment), "DB_PASSWORD") &&
      module.api[0].environment["SUBMISSIONS_BUCKET"] == "oj-submissions-mock" &&
      module.api[0].environment["PACKAGE_BUCKET"] == "oj-submissions-mock" &&
      module.api[0].environment["SUBMISSION_QUEUE_URL"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-submission-queue" &&
      module.api[0].environment["SUBMISSION_RATE_LIMIT"] == "10/60" &&
      module.api[0].environment["EVENTS_MAX_STREAM_S"] == "25"
    )
    error_message = "The API gets what the local stack's API gets: the bucket, the submission queue, the database by its secret (never a password), and api_environment below the module's own settings."
  }
}

run "consumer_lambda_drains_every_queue_with_partial_batches" {
  command = apply

  variables {
    consumer_lambda_enabled      = true
    consumer_maximum_concurrency = 3
  }

  assert {
    condition     = length(module.api) == 0 && length(module.consumer) == 1
    error_message = "The consumer is behind its own variable."
  }
  assert {
    condition = toset([for m in values(aws_lambda_event_source_mapping.consumer) : m.event_source_arn]) == toset([
      "arn:aws:sqs:eu-west-1:123456789012:oj-completion-queue", "arn:aws:sqs:eu-west-1:123456789012:oj-worker-failure-queue",
      "arn:aws:sqs:eu-west-1:123456789012:oj-submission-dlq", "arn:aws:sqs:eu-west-1:123456789012:oj-completion-dlq",
    ])
    error_message = "One event source mapping per queue the consumer drains: completions, worker failures, both DLQs."
  }
  assert {
    condition     = alltrue([for m in values(aws_lambda_event_source_mapping.consumer) : m.function_response_types == toset(["ReportBatchItemFailures"]) && m.scaling_config[0].maximum_concurrency == 3])
    error_message = "Only the records that failed return to their queue (partial batch responses); the concurrency is bounded."
  }
  assert {
    condition = (
      module.consumer[0].environment["COMPLETION_QUEUE_URL"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-completion-queue" &&
      module.consumer[0].environment["WORKER_FAILURE_QUEUE_URL"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-worker-failure-queue" &&
      module.consumer[0].environment["SUBMISSION_DLQ_URL"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-submission-dlq" &&
      module.consumer[0].environment["COMPLETION_DLQ_URL"] == "https://sqs.eu-west-1.amazonaws.com/123456789012/oj-completion-dlq" &&
      module.consumer[0].environment["DB_SECRET_ARN"] == module.database.secret_arn
    )
    error_message = "The consumer function tells the records' queues apart by the URLs Consumer.from_env reads."
  }
  assert {
    condition     = aws_iam_role_policy_attachment.consumer_backend[0].policy_arn == aws_iam_policy.backend.arn && module.consumer[0].vpc_config != null
    error_message = "The consumer has the backend policy (DrainResults covers the four queues) and runs in the VPC."
  }
}

run "api_timeout_is_within_api_gateways" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    name_prefix        = "oj"
    filename           = "backend_api.zip"
    timeout            = 45
    backend_policy_arn = "arn:aws:iam::123456789012:policy/oj-backend"
    vpc_config         = { subnet_ids = ["subnet-1"], security_group_ids = ["sg-1"] }
    environment        = { SUBMISSIONS_BUCKET = "b", SUBMISSION_QUEUE_URL = "q", DB_SECRET_ARN = "s", DB_PASSWORD = "p" }
  }

  expect_failures = [var.timeout, var.environment]
}

run "api_throttles_logs_and_proxies_payload_2" {
  command = apply

  # The module on its own: its resources are the run's root, so the test reads them directly.
  module {
    source = "./modules/api"
  }

  override_resource {
    target = module.function.aws_lambda_function.this
    values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:oj-api", function_name = "oj-api" }
  }
  override_resource {
    target = aws_cloudwatch_log_group.access
    values = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/oj-api" }
  }

  variables {
    name_prefix            = "oj"
    filename               = "backend_api.zip"
    throttling_rate_limit  = 25
    throttling_burst_limit = 40
    log_retention_days     = 14
    backend_policy_arn     = "arn:aws:iam::123456789012:policy/oj-backend"
    vpc_config             = { subnet_ids = ["subnet-1", "subnet-2"], security_group_ids = ["sg-1"] }
    environment            = { SUBMISSIONS_BUCKET = "b", SUBMISSION_QUEUE_URL = "q", DB_SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db" }
  }

  assert {
    condition     = aws_apigatewayv2_api.this.protocol_type == "HTTP"
    error_message = "An HTTP API (API Gateway v2), not a REST API."
  }
  assert {
    condition = (
      aws_apigatewayv2_stage.default.name == "$default" &&
      aws_apigatewayv2_stage.default.auto_deploy &&
      aws_apigatewayv2_stage.default.default_route_settings[0].throttling_rate_limit == 25 &&
      aws_apigatewayv2_stage.default.default_route_settings[0].throttling_burst_limit == 40
    )
    error_message = "The $default stage throttles every route with the given rate and burst."
  }
  assert {
    condition = (
      aws_apigatewayv2_stage.default.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn &&
      aws_cloudwatch_log_group.access.retention_in_days == 14
    )
    error_message = "Access logs go to the API's own log group, which keeps them log_retention_days."
  }
  assert {
    condition     = alltrue([for field in ["requestId", "sourceIp", "method", "path", "status", "latencyMs", "integrationError"] : contains(keys(jsondecode(aws_apigatewayv2_stage.default.access_log_settings[0].format)), field)])
    error_message = "The access log format is one JSON object per request, with the request, its status and the integration's error."
  }
  assert {
    condition = (
      aws_apigatewayv2_integration.lambda.integration_type == "AWS_PROXY" &&
      aws_apigatewayv2_integration.lambda.payload_format_version == "2.0" &&
      aws_apigatewayv2_integration.lambda.integration_uri == "arn:aws:lambda:eu-west-1:123456789012:function:oj-api" &&
      aws_apigatewayv2_route.default.route_key == "$default" &&
      aws_apigatewayv2_route.default.target == "integrations/${aws_apigatewayv2_integration.lambda.id}"
    )
    error_message = "Every request goes to the API function by a Lambda proxy integration with payload format 2.0 (what Mangum reads)."
  }
  assert {
    condition = (
      aws_lambda_permission.api.principal == "apigateway.amazonaws.com" &&
      aws_lambda_permission.api.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*" &&
      aws_lambda_permission.api.function_name == "oj-api"
    )
    error_message = "Only this API (its execution ARN) may invoke the API function."
  }
  assert {
    condition     = aws_iam_role_policy_attachment.backend.policy_arn == "arn:aws:iam::123456789012:policy/oj-backend" && aws_iam_role_policy_attachment.backend.role == module.function.role_name
    error_message = "The function's role carries the backend policy it is given."
  }
}

