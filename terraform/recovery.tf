# No submission lost or stuck: two scheduled functions over the same core code as the backend
# (store/outbox.py, store/sweeper.py). The relay sends what the outbox holds unsent (the API sends
# each message at once; this catches a send that failed or a process that died after its commit); the
# sweeper sends a stuck submission again once, then ends it FAILED with the reason. Both reach the
# database, so they run in the VPC with the workers' security group (its egress is the database and
# the AWS endpoints), and connect as the master user: they write the outbox and the submissions.

locals {
  recovery_kms_keys = distinct(concat(local.queue_kms_keys, local.secret_kms_keys))
  recovery_environment = merge(var.extra_environment, local.database_tls_env, {
    SUBMISSION_QUEUE_URL = module.queues.queues["submission"].url
    DB_SECRET_ARN        = module.database.secret_arn
    DB_HOST              = module.database.host
    DB_PORT              = tostring(module.database.port)
    DB_NAME              = module.database.name
    DB_TLS               = tostring(local.database_tls)
  })
  recovery_statements = merge(length(local.recovery_kms_keys) == 0 ? {} : {
    UseKmsKeys = { actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = local.recovery_kms_keys }
    }, {
    SendSubmissions = {
      actions   = ["sqs:SendMessage"]
      resources = [module.queues.queues["submission"].arn]
    }
    ReadDatabaseSecret = {
      actions   = ["secretsmanager:GetSecretValue"]
      resources = compact([module.database.secret_arn])
    }
  })
}

module "outbox_relay" {
  source = "./modules/lambda_function"

  function_name       = "${var.name_prefix}-outbox_relay"
  description         = "Sends the submission messages the outbox still holds unsent"
  filename            = "${local.build_dir}/functions/outbox_relay.zip"
  memory_size         = 256
  timeout             = 60
  schedule_expression = var.recovery_schedule_expression
  tracing_enabled     = var.tracing_enabled
  log_retention_days  = var.log_retention_days
  environment         = local.recovery_environment
  vpc_config = {
    subnet_ids         = module.network.private_subnet_ids
    security_group_ids = [module.network.worker_security_group_id]
  }
  policy_statements = local.recovery_statements
}

module "sweeper" {
  source = "./modules/lambda_function"

  function_name       = "${var.name_prefix}-sweeper"
  description         = "Sends stuck submissions again once, then ends them FAILED with the reason"
  filename            = "${local.build_dir}/functions/sweeper.zip"
  memory_size         = 256
  timeout             = 60
  schedule_expression = var.recovery_schedule_expression
  tracing_enabled     = var.tracing_enabled
  log_retention_days  = var.log_retention_days
  environment = merge(local.recovery_environment, {
    # What bounds a judging: the sweeper's worst case is the workers' (contracts/budget.py).
    WORKER_TIMEOUT_SECONDS    = tostring(var.worker_timeout_seconds)
    WORKER_MAX_RETRY_ATTEMPTS = tostring(var.worker_max_retry_attempts)
  })
  vpc_config = {
    subnet_ids         = module.network.private_subnet_ids
    security_group_ids = [module.network.worker_security_group_id]
  }
  policy_statements = local.recovery_statements
}
