# Wiring only: each concern lives in modules/. Flow: intake → submission queue → dispatcher →
# worker_<lang> (async) → sandbox_<lang> (sync) → completion queue → backend consumer.

# The provider's region: this module configures no provider (the caller does, default_tags included).
data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name

  # Customer-managed keys reach the roles that use them (an AWS-managed alias needs no grant):
  # queues for everything that sends or receives, the bucket for the workers' reads, uploads and
  # presigned GETs (S3 checks the signer), the database secret for the workers.
  queue_kms_keys  = var.queue_kms_key_id != null && startswith(coalesce(var.queue_kms_key_id, "-"), "arn:") ? [var.queue_kms_key_id] : []
  bucket_kms_keys = compact([var.bucket_kms_key_arn])
  secret_kms_keys = var.create_database && var.database_kms_key_id != null ? [var.database_kms_key_id] : []
  worker_kms_keys = distinct(concat(local.queue_kms_keys, local.bucket_kms_keys, local.secret_kms_keys))

  sandbox_s3_endpoint_ids = [for endpoint in [module.network.sandbox_s3_endpoint] : endpoint.id if endpoint != null]

  # What the VPC may resolve under the DNS firewall: AWS's names, the VPC's own, and the hosts the
  # workers must reach outside AWS (the webhook, an existing database by name).
  dns_allowed_domains = distinct(concat(
    ["amazonaws.com", "*.amazonaws.com", "*.internal"],
    var.dns_allowed_domains,
    var.result_webhook_url == null ? [] : [regex("^https://([^/:?#]+)", var.result_webhook_url)[0]],
    try(can(cidrhost("${var.existing_database.host}/32", 0)) ? [] : [var.existing_database.host], []),
  ))

  build_dir = coalesce(var.build_dir, "${path.module}/../build")

  # One worker and one sandbox per key; shared with tools/check_lambda_size.py.
  workers = tomap(jsondecode(file("${path.module}/workers.json")))

  # What the dispatcher routes: language → worker function name.
  worker_functions_by_language = merge([
    for key, w in local.workers : { for lang in w.languages : lang => "${var.name_prefix}-worker_${key}" }
  ]...)

  # A sandbox gets its languages' toolchains; every worker the toolchains of the languages custom
  # validators are written in (C/C++, compiled in the worker), and no more: the worker runs no
  # submission, and GCC with the JDK would not fit Lambda's 250 MB. Shared with tools/check_lambda_size.py.
  validator_layers = jsondecode(file("${path.module}/validator_layers.json"))
  layer_names      = toset(concat(flatten([for w in values(local.workers) : w.layers]), local.validator_layers))
  layer_arns       = { for name in local.layer_names : name => try(var.layer_arns[name], module.layer[name].arn) }

  # Workers reach the database by its security group, or by the existing database's group or CIDR.
  db_egress_target = var.create_database ? {
    port              = module.database.port
    security_group_id = module.database.security_group_id
    cidr_block        = null
    } : {
    port              = try(var.existing_database.port, 3306)
    security_group_id = try(var.existing_database.security_group_id, null)
    cidr_block        = try(var.existing_database.cidr_block, null)
  }
  db_egress = {
    for k, v in { database = local.db_egress_target } : k => v
    if var.create_database ? true : (v.security_group_id != null || v.cidr_block != null)
  }
  backend_egress = merge(
    { for name, sg in var.backend_security_group_ids : "backend-${name}" => { port = 443, security_group_id = sg, cidr_block = null } },
    { for i, cidr in var.backend_cidr_blocks : "backend-${i}" => { port = 443, security_group_id = null, cidr_block = cidr } },
  )

  # Where workers stage test inputs too large to inline (pipeline/lambda_runner.py).
  testdata_prefix = "testdata/"
  # Problem package archives, by content hash (store/packages.py): written by judge-admin (the backend
  # policy), read by the workers, never expired (the database's index names them).
  package_prefix = "packages/"
  # The workers' roles (modules/lambda_function names a role after its function), by name: the sandbox
  # endpoint policy cannot take module.worker's role ARNs, since the sandboxes (and so the workers)
  # depend on that endpoint. Only this account's roles can be granted the bucket's objects anyway.
  worker_role_arn_patterns = [for key in keys(local.workers) : "arn:*:iam::*:role/${var.name_prefix}-worker_${key}"]

  optional_worker_env = merge(
    var.result_webhook_url == null ? {} : { RESULT_WEBHOOK_URL = var.result_webhook_url },
    var.result_webhook_secret_arn == null ? {} : { RESULT_WEBHOOK_SECRET_ARN = var.result_webhook_secret_arn },
    local.database_tls_env,
  )

  # TLS to a created database always: the RDS Proxy requires it (ACM's certificate, verified with the
  # system trust store); an instance without the proxy has require_secure_transport, and its
  # certificate is verified only with the RDS CA bundle (database_tls_ca_file), else encrypted unverified.
  database_tls = var.create_database
  database_tls_env = !var.create_database || var.create_database_proxy ? {} : (
    var.database_tls_ca_file != null ? { DB_TLS_CA = var.database_tls_ca_file } : { DB_TLS_VERIFY = "false" }
  )
}

module "queues" {
  source = "./modules/queues"

  name_prefix       = var.name_prefix
  kms_master_key_id = var.queue_kms_key_id
  create_alarms     = var.create_alarms
  alarm_actions     = local.alarm_actions
  queues = {
    submission = {
      visibility_timeout_seconds       = var.submission_queue_visibility_timeout_seconds
      dead_letter_queue                = true
      max_receive_count                = var.submission_max_receive_count
      oldest_message_age_alarm_seconds = var.oldest_message_age_alarm_seconds
    }
    completion = {
      visibility_timeout_seconds       = 60
      dead_letter_queue                = true
      max_receive_count                = var.submission_max_receive_count
      oldest_message_age_alarm_seconds = var.oldest_message_age_alarm_seconds
    }
    # Lambda's on-failure records of workers that crashed, timed out or ran out of retries.
    worker-failure = {
      visibility_timeout_seconds       = 60
      message_retention_seconds        = 1209600
      oldest_message_age_alarm_seconds = var.oldest_message_age_alarm_seconds
      failure_destination              = true
    }
  }
}

module "bucket" {
  source = "./modules/bucket"

  bucket_name        = var.submissions_bucket_name
  bucket_prefix      = "${var.name_prefix}-submissions-"
  versioning_enabled = var.bucket_versioning_enabled
  force_destroy      = var.bucket_force_destroy
  kms_key_arn        = var.bucket_kms_key_arn

  submission_expiration_days = var.submission_expiration_days
  run_expiration_days        = var.run_expiration_days
  testdata_expiration_days   = var.testdata_expiration_days
  testdata_prefix            = local.testdata_prefix
  testdata_read_vpce_ids     = local.sandbox_s3_endpoint_ids
}

module "network" {
  source = "./modules/network"

  name_prefix             = var.name_prefix
  region                  = local.region
  create_vpc              = var.create_vpc
  vpc_cidr                = var.vpc_cidr
  availability_zones      = var.availability_zones
  availability_zone_count = var.availability_zone_count
  excluded_zone_ids       = var.excluded_zone_ids
  vpc_id                  = var.vpc_id
  private_subnet_ids      = var.private_subnet_ids
  sandbox_subnet_ids      = var.sandbox_subnet_ids
  private_route_table_ids = var.private_route_table_ids
  sandbox_route_table_ids = var.sandbox_route_table_ids
  create_vpc_endpoints    = var.create_vpc_endpoints
  existing_vpc_endpoints  = var.existing_vpc_endpoints
  enable_flow_logs        = var.enable_flow_logs
  s3_endpoint_bucket_arns = [module.bucket.bucket_arn]
  # Large test inputs: presigned GETs of testdata/* signed by the workers, and nothing else.
  sandbox_s3_get_object_arns = var.sandbox_large_input_access ? ["${module.bucket.bucket_arn}/${local.testdata_prefix}*"] : []
  sandbox_s3_signer_arns     = local.worker_role_arn_patterns
  worker_egress              = merge(local.db_egress, local.backend_egress)
  dns_firewall               = var.dns_firewall
  dns_allowed_domains        = local.dns_allowed_domains
}

# The key that seals the sandbox functions' replies (contracts/sandbox_protocol.py): a program in a
# sandbox can post a reply of its own through the Runtime API, and the worker must tell it from the
# handler's. Made once (244 random bits from two UUIDs), kept in state, set only on the workers and
# the sandboxes. Replace it with `terraform apply -replace=terraform_data.sandbox_reply_key`.
resource "terraform_data" "sandbox_reply_key" {
  input = sensitive(sha256("${uuid()}/${uuid()}"))

  lifecycle {
    ignore_changes = [input]
  }
}

module "database" {
  source = "./modules/database"

  name_prefix = var.name_prefix
  create      = var.create_database
  existing = var.existing_database == null ? null : {
    host              = var.existing_database.host
    port              = var.existing_database.port
    name              = var.existing_database.name
    secret_arn        = var.existing_database.secret_arn
    worker_secret_arn = var.existing_database.worker_secret_arn
  }
  worker_user             = var.database_worker_user
  credentials             = var.database_credentials
  vpc_id                  = module.network.vpc_id
  subnet_ids              = module.network.private_subnet_ids
  allowed_security_groups = merge({ worker = module.network.worker_security_group_id }, var.backend_security_group_ids)
  allowed_cidr_blocks     = var.backend_cidr_blocks
  engine_version          = var.database_engine_version
  instance_class          = var.database_instance_class
  multi_az                = var.database_multi_az
  deletion_protection     = var.database_deletion_protection
  backup_retention_period = var.database_backup_retention_days
  skip_final_snapshot     = var.database_skip_final_snapshot
  create_proxy            = var.create_database_proxy
  kms_key_id              = var.database_kms_key_id
  log_retention_days      = var.log_retention_days
}

module "layer" {
  source   = "./modules/lambda_layer"
  for_each = toset([for name in local.layer_names : name if !contains(keys(var.layer_arns), name)])

  layer_name  = "${var.name_prefix}-${each.key}"
  description = "${upper(each.key)} toolchain layer (layers/build.sh)"
  filename    = "${local.build_dir}/layers/${each.key}.zip"
  # Through S3 by default: the Lambda API takes at most 50 MB in the request, and the GCC layer is more.
  s3_bucket = var.layer_direct_upload ? null : coalesce(var.layer_upload_bucket, module.bucket.bucket_name)
}

# Runs submitted code: logs only, no secrets, no network.
module "sandbox" {
  source   = "./modules/lambda_function"
  for_each = local.workers

  function_name          = "${var.name_prefix}-sandbox_${each.key}"
  description            = "Compiles and runs ${join("/", each.value.languages)} submissions under limits; no network, no secrets"
  filename               = "${local.build_dir}/functions/sandbox.zip"
  memory_size            = var.sandbox_memory_mb[each.key]
  timeout                = var.sandbox_timeout_seconds
  ephemeral_storage_size = 2048
  layers                 = [for l in each.value.layers : local.layer_arns[l]]
  reserved_concurrency   = var.sandbox_reserved_concurrency
  tracing_enabled        = false # the X-Ray write permission would be one more thing the submission could use
  log_retention_days     = var.log_retention_days
  environment = {
    JUDGE_LANGUAGES         = join(",", each.value.languages)
    SANDBOX_REPLY_KEY       = terraform_data.sandbox_reply_key.output
    JUDGE_FRESH_ENVIRONMENT = var.sandbox_fresh_environment ? "1" : "0"
  }
  vpc_config = {
    subnet_ids         = module.network.sandbox_subnet_ids
    security_group_ids = [module.network.sandbox_security_group_id]
  }
}

# One worker code base (functions/worker), deployed once per language group of workers.json.
module "worker" {
  source   = "./modules/lambda_function"
  for_each = local.workers

  function_name          = "${var.name_prefix}-worker_${each.key}"
  description            = "Judges ${join("/", each.value.languages)} submissions through ${var.name_prefix}-sandbox_${each.key}"
  filename               = "${local.build_dir}/functions/worker.zip"
  memory_size            = var.worker_memory_mb
  timeout                = var.worker_timeout_seconds
  ephemeral_storage_size = 2048
  layers                 = [for l in local.validator_layers : local.layer_arns[l]] # custom validators are compiled here
  reserved_concurrency   = var.worker_reserved_concurrency
  tracing_enabled        = var.tracing_enabled
  log_retention_days     = var.log_retention_days
  environment = merge(var.extra_environment, local.optional_worker_env, {
    JUDGE_LANGUAGES         = join(",", each.value.languages)
    SANDBOX_FUNCTION        = module.sandbox[each.key].function_name
    SANDBOX_REPLY_KEY       = terraform_data.sandbox_reply_key.output
    SANDBOX_TIMEOUT_SECONDS = tostring(var.sandbox_timeout_seconds)
    SANDBOX_MEMORY_MB       = tostring(var.sandbox_memory_mb[each.key]) # for each result's billed record
    SUBMISSIONS_BUCKET      = module.bucket.bucket_name
    COMPLETION_QUEUE_URL    = module.queues.queues["completion"].url
    DB_SECRET_ARN           = module.database.worker_secret_arn # the workers' own user, or the master's (database_worker_user)
    DB_HOST                 = module.database.host
    DB_PORT                 = tostring(module.database.port)
    DB_NAME                 = module.database.name
    DB_TLS                  = tostring(local.database_tls)
    RESULT_DIRECT_DB        = tostring(var.result_direct_db)
    TESTDATA_CACHE_DIR      = var.testdata_cache_dir
    PACKAGE_BUCKET          = module.bucket.bucket_name
    PACKAGE_CACHE_MAX_MB    = tostring(var.package_cache_max_mb)
    # What the sandbox compiles with (its code and layers): the key of the worker's compile cache,
    # so a new compiler never serves programs the old one built (pipeline/compile_cache.py).
    SANDBOX_BUILD        = sha256(jsonencode([try(filebase64sha256("${local.build_dir}/functions/sandbox.zip"), "unbuilt"), [for l in each.value.layers : local.layer_arns[l]]]))
    COMPILE_CACHE_MAX_MB = tostring(var.compile_cache_max_mb)
  })
  vpc_config = {
    subnet_ids         = module.network.private_subnet_ids
    security_group_ids = [module.network.worker_security_group_id]
  }
  async_invoke = {
    maximum_retry_attempts       = var.worker_max_retry_attempts
    maximum_event_age_in_seconds = var.worker_max_event_age_seconds
    on_failure_queue_arn         = module.queues.queues["worker-failure"].arn
  }
  policy_statements = merge(length(local.worker_kms_keys) == 0 ? {} : {
    UseKmsKeys = { actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = local.worker_kms_keys }
    }, {
    # Submissions' sources, and runs' sources and stdin (runs on custom input: contracts/runs.py).
    ReadSubmissionSources = {
      actions   = ["s3:GetObject"]
      resources = ["${module.bucket.bucket_arn}/submissions/*", "${module.bucket.bucket_arn}/runs/*"]
    }
    # Problem packages, fetched once per content hash and execution environment; read only.
    ReadProblemPackages = {
      actions   = ["s3:GetObject"]
      resources = ["${module.bucket.bucket_arn}/${local.package_prefix}*"]
    }
    # Inputs over 1 MB: uploaded once under testdata/<sha256>, then handed to the sandbox as a presigned
    # GET URL, which S3 authorizes with this role (hence GetObject too). Also needed without
    # sandbox_large_input_access: LocalStack's sandboxes fetch the URLs without any endpoint.
    StageLargeTestInputs = {
      actions   = ["s3:PutObject", "s3:GetObject"]
      resources = ["${module.bucket.bucket_arn}/${local.testdata_prefix}*"]
    }
    ReadDatabaseSecret = {
      actions   = ["secretsmanager:GetSecretValue"]
      resources = compact([module.database.worker_secret_arn, var.result_webhook_secret_arn])
    }
    SendCompletions = {
      actions   = ["sqs:SendMessage"]
      resources = [module.queues.queues["completion"].arn]
    }
    InvokeOwnSandbox = {
      actions   = ["lambda:InvokeFunction"]
      resources = [module.sandbox[each.key].function_arn]
    }
  })
}

module "dispatcher" {
  source = "./modules/lambda_function"

  function_name        = "${var.name_prefix}-dispatcher"
  description          = "Routes submission messages to the language workers"
  filename             = "${local.build_dir}/functions/dispatcher.zip"
  memory_size          = var.dispatcher_memory_mb
  timeout              = var.dispatcher_timeout_seconds
  reserved_concurrency = var.dispatcher_reserved_concurrency
  tracing_enabled      = var.tracing_enabled
  log_retention_days   = var.log_retention_days
  environment = merge(var.extra_environment, {
    WORKER_FUNCTIONS     = jsonencode(local.worker_functions_by_language)
    COMPLETION_QUEUE_URL = module.queues.queues["completion"].url
  })
  # No VPC: it reaches only Lambda and SQS, public AWS APIs; outside a VPC it needs no ENI, no
  # endpoint and no security group, and starts faster.
  sqs_event_source = {
    queue_arn                          = module.queues.queues["submission"].arn
    batch_size                         = var.sqs_batch_size
    maximum_batching_window_in_seconds = var.sqs_maximum_batching_window_seconds
    maximum_concurrency                = var.sqs_maximum_concurrency
  }
  policy_statements = merge(length(local.queue_kms_keys) == 0 ? {} : {
    UseQueueKey = { actions = ["kms:Decrypt", "kms:GenerateDataKey"], resources = local.queue_kms_keys }
    }, {
    InvokeWorkers = {
      actions   = ["lambda:InvokeFunction"]
      resources = [for w in module.worker : w.function_arn]
    }
    # A malformed or unroutable message becomes a JUDGE_ERROR completion instead of a retry loop.
    SendCompletions = {
      actions   = ["sqs:SendMessage"]
      resources = [module.queues.queues["completion"].arn]
    }
  })
}
