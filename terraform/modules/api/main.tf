# The intake API on AWS: an API Gateway HTTP API whose $default route proxies every request (payload
# 2.0) to one Lambda function running the FastAPI app under Mangum (backend/api/lambda_entry.py). The
# app authenticates (bearer tokens), validates and answers every error itself, so the gateway adds
# throttling, access logs and TLS, and no routes of its own.

module "function" {
  source = "../lambda_function"

  function_name        = "${var.name_prefix}-api"
  description          = "The judge's intake API (FastAPI under Mangum) behind API Gateway"
  filename             = var.filename
  handler              = var.handler
  memory_size          = var.memory_size
  timeout              = var.timeout
  reserved_concurrency = var.reserved_concurrency
  tracing_enabled      = var.tracing_enabled
  log_retention_days   = var.log_retention_days
  # A response leaves Mangum only when the function returns: an event stream must end (with its
  # `timeout` event, backend/events.py) before the function's timeout would cut it into a 504.
  environment = merge(var.environment, { EVENTS_MAX_STREAM_S = tostring(max(1, var.timeout - 4)) })
  vpc_config  = var.vpc_config
  tags        = var.tags
}

# What the API may do is the backend's policy (terraform/backend_access.tf), written once for every
# place the backend runs; the function's own inline policy adds only its logs and its ENIs.
resource "aws_iam_role_policy_attachment" "backend" {
  role       = module.function.role_name
  policy_arn = var.backend_policy_arn
}

resource "aws_apigatewayv2_api" "this" {
  name          = "${var.name_prefix}-api"
  description   = "The judge's intake API: every route to ${var.name_prefix}-api (Lambda)"
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_integration" "lambda" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = module.function.function_arn
  payload_format_version = "2.0"
  # The gateway gives up at 30 s; a little under the function's own timeout, so the function's
  # answer (or its 503) arrives first when it can.
  timeout_milliseconds = min(30000, var.timeout * 1000)
}

resource "aws_apigatewayv2_route" "default" {
  #checkov:skip=CKV_AWS_309:the app authenticates every route itself (bearer tokens in the database, backend/api/app.py); /healthz and the OpenAPI document are public on purpose
  api_id    = aws_apigatewayv2_api.this.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.lambda.id}"
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_338:access logs are operational, not audit records; retention is the log_retention_days variable
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; a customer key is optional through log_kms_key_arn
  name              = "/aws/apigateway/${var.name_prefix}-api"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true
  tags        = var.tags

  # Every route: a steady rate per second and the burst above it; over them the gateway answers 429
  # before the function (and the database) sees the request. Per-user limits are the app's.
  default_route_settings {
    throttling_burst_limit   = var.throttling_burst_limit
    throttling_rate_limit    = var.throttling_rate_limit
    detailed_metrics_enabled = var.detailed_metrics_enabled
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = jsonencode(local.access_log_format)
  }
}

locals {
  # One JSON object per request (CloudWatch Logs Insights reads the fields by name).
  access_log_format = {
    requestId          = "$context.requestId"
    time               = "$context.requestTime"
    sourceIp           = "$context.identity.sourceIp"
    userAgent          = "$context.identity.userAgent"
    method             = "$context.httpMethod"
    path               = "$context.path"
    protocol           = "$context.protocol"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    latencyMs          = "$context.responseLatency"
    integrationStatus  = "$context.integrationStatus"
    integrationLatency = "$context.integrationLatency"
    integrationError   = "$context.integrationErrorMessage"
    errorMessage       = "$context.error.message"
  }
}

# Only this API (any stage, any route) may invoke the function.
resource "aws_lambda_permission" "api" {
  statement_id  = "InvokeFromApiGateway"
  action        = "lambda:InvokeFunction"
  function_name = module.function.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*"
}
