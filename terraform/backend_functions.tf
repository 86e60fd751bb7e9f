# The backend on Lambda, each part optional: the intake API behind an API Gateway HTTP API
# (modules/api, api_enabled) and the completion consumer behind SQS event source mappings
# (consumer_lambda_enabled). Both run the backend's own zips (tools/package_functions.py:
# backend_api.zip, backend_consumer.zip), in the VPC with the workers' security group (its egress is
# the database and the AWS endpoints), as the database's master user, with the backend policy
# (backend_access.tf) and nothing else. Off, the backend runs where you run it (ECS, EC2: attach
# aws_iam_policy.backend), as `make run` runs it locally: LocalStack community has no API Gateway v2.

locals {
  backend_database_env = merge(local.database_tls_env, {
    DB_SECRET_ARN = module.database.secret_arn
    DB_HOST       = module.database.host
    DB_PORT       = tostring(module.database.port)
    DB_NAME       = module.database.name
    DB_TLS        = tostring(local.database_tls)
  })
  backend_vpc_config = {
    subnet_ids         = module.network.private_subnet_ids
    security_group_ids = [module.network.worker_security_group_id]
  }
  # The queues the consumer drains, by the name each has in Consumer.from_env (backend/consumer.py).
  consumer_queues = {
    COMPLETION_QUEUE_URL     = module.queues.queues["completion"]
    WORKER_FAILURE_QUEUE_URL = module.queues.queues["worker-failure"]
    SUBMISSION_DLQ_URL       = module.queues.dead_letter_queues["submission"]
    COMPLETION_DLQ_URL       = module.queues.dead_letter_queues["completion"]
  }
}

module "api" {
  source = "./modules/api"
  count  = var.api_enabled ? 1 : 0

  name_prefix            = var.name_prefix
  filename               = "${local.build_dir}/functions/backend_api.zip"
  memory_size            = var.api_memory_mb
  reserved_concurrency   = var.api_reserved_concurrency
  throttling_rate_limit  = var.api_throttling_rate_limit
  throttling_burst_limit = var.api_throttling_burst_limit
  tracing_enabled        = var.tracing_enabled
  log_retention_days     = var.log_retention_days
  backend_policy_arn     = aws_iam_policy.backend.arn
  vpc_config             = local.backend_vpc_config
  # What the local stack's API gets (local/devstack.py), from this deployment's resources.
  environment = merge(var.api_environment, local.backend_database_env, {
    SUBMISSIONS_BUCKET   = module.bucket.bucket_name
    SUBMISSION_QUEUE_URL = module.queues.queues["submission"].url
    PACKAGE_BUCKET       = module.bucket.bucket_name
    }, var.bucket_kms_key_arn == null ? {} : {
    SUBMISSIONS_KMS_KEY_ID = var.bucket_kms_key_arn
  })
}

module "consumer" {
  source = "./modules/lambda_function"
  count  = var.consumer_lambda_enabled ? 1 : 0

  function_name        = "${var.name_prefix}-consumer"
  description          = "Applies completions, progress, worker failure records and dead letters to the database"
  filename             = "${local.build_dir}/functions/backend_consumer.zip"
  handler              = "backend.consumer_lambda_entry.handler"
  memory_size          = 256
  timeout              = var.consumer_timeout_seconds
  reserved_concurrency = var.consumer_reserved_concurrency
  tracing_enabled      = var.tracing_enabled
  log_retention_days   = var.log_retention_days
  environment          = merge(local.backend_database_env, { for name, q in local.consumer_queues : name => q.url })
  vpc_config           = local.backend_vpc_config
}

resource "aws_iam_role_policy_attachment" "consumer_backend" {
  count      = var.consumer_lambda_enabled ? 1 : 0
  role       = module.consumer[0].role_name
  policy_arn = aws_iam_policy.backend.arn
}

# One mapping per queue the consumer drains; the handler tells them apart by the record's queue.
resource "aws_lambda_event_source_mapping" "consumer" {
  for_each = var.consumer_lambda_enabled ? local.consumer_queues : {}

  event_source_arn                   = each.value.arn
  function_name                      = module.consumer[0].function_arn
  batch_size                         = 10
  maximum_batching_window_in_seconds = 1
  # Only the records that raised (database down) return to their queue, not the whole batch.
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.consumer_maximum_concurrency
  }

  # The role must carry the backend policy (ReceiveMessage on these queues) before the mapping polls.
  depends_on = [aws_iam_role_policy_attachment.consumer_backend]
}
