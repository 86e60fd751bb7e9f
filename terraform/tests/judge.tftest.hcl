# The wiring of the root module, checked against a mocked AWS provider (no account, no network).
# `command = apply` gives ARNs and ids (fake) values, so policies can be compared with them.

mock_provider "aws" {
  # The module configures no provider: the caller's region, and ARNs of the shape the provider
  # validates even when mocked (tests/mocks, shared with the example's test).
  source = "./tests/mocks"

  # AZs to choose from when none are given: three usable, each service offered in all three.
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"], zone_ids = ["euw1-az1", "euw1-az2", "euw1-az3"] }
  }
  mock_data "aws_vpc_endpoint_service" {
    defaults = { availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
  }
}

# Distinct ARNs where the tests tell resources apart.
override_resource {
  target = module.queues.aws_sqs_queue.this["submission"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-submission-queue" }
}
override_resource {
  target = module.queues.aws_sqs_queue.this["completion"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-completion-queue" }
}
override_resource {
  target = module.queues.aws_sqs_queue.this["worker-failure"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-worker-failure-queue" }
}
override_resource {
  target = module.queues.aws_sqs_queue.dlq["submission"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-submission-dlq" }
}
override_resource {
  target = module.queues.aws_sqs_queue.dlq["completion"]
  values = { arn = "arn:aws:sqs:eu-west-1:123456789012:oj-completion-dlq" }
}
override_resource {
  target = module.worker["python"].aws_lambda_function.this
  values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:oj-worker_python" }
}
override_resource {
  target = module.worker["java"].aws_lambda_function.this
  values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:oj-worker_java" }
}
override_resource {
  target = module.worker["cpp"].aws_lambda_function.this
  values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:oj-worker_cpp" }
}
override_resource {
  target = module.sandbox["python"].aws_lambda_function.this
  values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:oj-sandbox_python" }
}
override_resource {
  target = module.sandbox["java"].aws_lambda_function.this
  values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:oj-sandbox_java" }
}
override_resource {
  target = module.sandbox["cpp"].aws_lambda_function.this
  values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:oj-sandbox_cpp" }
}
override_resource {
  target = module.dispatcher.aws_lambda_function.this
  values = { arn = "arn:aws:lambda:eu-west-1:123456789012:function:oj-dispatcher" }
}
# A bucket ARN of the real shape: object ARNs built from it are validated.
override_resource {
  target = module.bucket.aws_s3_bucket.this
  values = { arn = "arn:aws:s3:::oj-submissions-mock", id = "oj-submissions-mock" }
}
# The workers' database user's secret, told apart from the master's.
override_resource {
  target = module.database.aws_secretsmanager_secret.worker[0]
  values = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:oj-db-worker-mock", id = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:oj-db-worker-mock" }
}
# Real-shaped worker role ARNs, to check them against the sandbox S3 endpoint's signer condition.
override_resource {
  target = module.worker["python"].aws_iam_role.this
  values = { arn = "arn:aws:iam::123456789012:role/oj-worker_python" }
}
override_resource {
  target = module.worker["java"].aws_iam_role.this
  values = { arn = "arn:aws:iam::123456789012:role/oj-worker_java" }
}
override_resource {
  target = module.worker["cpp"].aws_iam_role.this
  values = { arn = "arn:aws:iam::123456789012:role/oj-worker_cpp" }
}

variables {
  availability_zones = ["eu-west-1a", "eu-west-1b"]
}

run "dispatcher_event_source_mapping" {
  command = apply

  assert {
    condition     = contains(module.dispatcher.event_source_mapping.function_response_types, "ReportBatchItemFailures")
    error_message = "The submission queue mapping must report batch item failures."
  }
  assert {
    condition     = module.dispatcher.event_source_mapping.maximum_concurrency == var.sqs_maximum_concurrency
    error_message = "The mapping must cap dispatcher concurrency at sqs_maximum_concurrency."
  }
  assert {
    condition     = module.dispatcher.event_source_mapping.event_source_arn == module.queues.queues["submission"].arn
    error_message = "The dispatcher must be triggered by the submission queue."
  }
  assert {
    condition = (module.dispatcher.event_source_mapping.batch_size == var.sqs_batch_size &&
    module.dispatcher.event_source_mapping.maximum_batching_window_in_seconds == var.sqs_maximum_batching_window_seconds)
    error_message = "Batch size and batching window must come from the variables."
  }
  assert {
    condition = jsondecode(module.dispatcher.environment.WORKER_FUNCTIONS) == {
      python = "oj-worker_python", java = "oj-worker_java", c = "oj-worker_cpp", cpp = "oj-worker_cpp"
    }
    error_message = "WORKER_FUNCTIONS must route every language to its worker (c and cpp to worker_cpp)."
  }
}

run "queues" {
  command = apply

  assert {
    condition     = jsondecode(module.queues.queues["submission"].redrive_policy).maxReceiveCount == 5
    error_message = "The submission queue must redrive to its DLQ after 5 receives."
  }
  assert {
    condition     = jsondecode(module.queues.queues["submission"].redrive_policy).deadLetterTargetArn == module.queues.dead_letter_queues["submission"].arn
    error_message = "The submission queue must redrive to its own DLQ."
  }
  assert {
    condition = alltrue(concat(
      [for q in values(module.queues.queues) : q.sse_enabled],
      [for q in values(module.queues.dead_letter_queues) : q.sse_enabled],
    ))
    error_message = "Every queue and DLQ must have server-side encryption."
  }
  assert {
    condition     = module.queues.queues["submission"].visibility_timeout_seconds >= 6 * var.dispatcher_timeout_seconds
    error_message = "The submission queue visibility timeout must be at least 6x the dispatcher timeout."
  }
  assert {
    condition = alltrue([for name in ["oj-submission-dlq-not-empty", "oj-completion-dlq-not-empty", "oj-submission-queue-backlog-age"] :
    contains(module.queues.alarm_names, name)])
    error_message = "DLQ depth and oldest-message-age alarms must exist."
  }
}

run "dispatcher_least_privilege" {
  command = apply

  assert {
    # Every statement that grants lambda:InvokeFunction names exactly the three workers.
    condition = alltrue([
      for s in jsondecode(module.dispatcher.policy_document).Statement :
      toset(s.Resource) == toset([for w in module.worker : w.function_arn])
      if contains(s.Action, "lambda:InvokeFunction")
    ])
    error_message = "The dispatcher may invoke the worker functions and nothing else."
  }
  assert {
    condition = length([
      for s in jsondecode(module.dispatcher.policy_document).Statement : s
      if contains(s.Action, "lambda:InvokeFunction")
    ]) == 1
    error_message = "Exactly one statement grants the dispatcher lambda:InvokeFunction."
  }
  assert {
    condition = alltrue([
      for s in jsondecode(module.dispatcher.policy_document).Statement :
      s.Resource == [module.queues.queues["submission"].arn]
      if contains(s.Action, "sqs:ReceiveMessage") || contains(s.Action, "sqs:DeleteMessage")
    ])
    error_message = "The dispatcher may receive and delete on the submission queue only."
  }
}

run "workers" {
  command = apply

  assert {
    condition = alltrue([for w in values(module.worker) :
      w.vpc_config != null &&
      toset(w.vpc_config.subnet_ids) == toset(module.network.private_subnet_ids) &&
      toset(w.vpc_config.security_group_ids) == toset([module.network.worker_security_group_id])
    ])
    error_message = "Every worker must run in the private subnets with the worker security group."
  }
  assert {
    condition = alltrue([for k, w in module.worker :
      w.async_invoke_config.on_failure_destination == module.queues.queues["worker-failure"].arn &&
      w.async_invoke_config.maximum_retry_attempts == var.worker_max_retry_attempts &&
      w.async_invoke_config.maximum_event_age_in_seconds == var.worker_max_event_age_seconds
    ])
    error_message = "Workers need retries, a maximum event age and the failure queue as on-failure destination."
  }
  assert {
    condition = (module.worker["cpp"].environment.JUDGE_LANGUAGES == "c,cpp" &&
      module.worker["java"].environment.JUDGE_LANGUAGES == "java" &&
    module.worker["python"].environment.JUDGE_LANGUAGES == "python")
    error_message = "Each worker is configured for its languages."
  }
  assert {
    condition = alltrue([for k, w in module.worker :
      w.environment.SANDBOX_FUNCTION == module.sandbox[k].function_name &&
      w.environment.DB_SECRET_ARN == module.database.worker_secret_arn &&
      w.environment.COMPLETION_QUEUE_URL == module.queues.queues["completion"].url
    ])
    error_message = "Workers must be pointed at their sandbox, their database secret and the completion queue."
  }
  assert {
    condition = alltrue([for w in values(module.worker) : alltrue([for k in ["JUDGE_LANGUAGES", "SANDBOX_FUNCTION", "SUBMISSIONS_BUCKET",
      "COMPLETION_QUEUE_URL", "DB_SECRET_ARN", "DB_HOST", "DB_PORT", "DB_NAME", "RESULT_DIRECT_DB", "TESTDATA_CACHE_DIR"] :
    contains(keys(w.environment), k)])])
    error_message = "Workers must get every environment variable of the contract (docs/ARCHITECTURE.md)."
  }
  assert {
    condition     = alltrue([for r in module.network.worker_egress_rules : contains([443, 3306], r.port)])
    error_message = "Workers may open connections on 443 (endpoints, backend) and 3306 (database) only."
  }
}

run "worker_least_privilege" {
  command = apply

  assert {
    condition = alltrue(flatten([for k, w in module.worker : [
      for s in jsondecode(w.policy_document).Statement : (
        contains(s.Action, "s3:PutObject") ? s.Resource == ["${module.bucket.bucket_arn}/testdata/*"] :
        contains(s.Action, "s3:GetObject") ? contains([["${module.bucket.bucket_arn}/submissions/*", "${module.bucket.bucket_arn}/runs/*"], ["${module.bucket.bucket_arn}/packages/*"]], s.Resource) :
        contains(s.Action, "secretsmanager:GetSecretValue") ? s.Resource == [output.database_worker_secret_arn] :
        contains(s.Action, "lambda:InvokeFunction") ? s.Resource == [module.sandbox[k].function_arn] :
        contains(s.Action, "sqs:SendMessage") ? contains([module.queues.queues["completion"].arn, module.queues.queues["worker-failure"].arn], one(s.Resource)) :
        true
      )
    ]]))
    error_message = "A worker may read only submissions/*, runs/* and packages/* (and the testdata/* it stages), only its own database user's secret, invoke only its sandbox and send only to the completion queue (and Lambda's failure destination)."
  }
  assert {
    # Staging large inputs: put them under testdata/ and read them back (presigned GETs are authorized
    # with the signer's permissions), in one statement, on that prefix only.
    condition = alltrue([for w in values(module.worker) : length([
      for s in jsondecode(w.policy_document).Statement : s
      if s.Effect == "Allow" && toset(s.Action) == toset(["s3:PutObject", "s3:GetObject"]) &&
      s.Resource == ["${module.bucket.bucket_arn}/testdata/*"]
    ]) == 1])
    error_message = "A worker needs s3:PutObject and s3:GetObject on <bucket>/testdata/* (one statement)."
  }
  assert {
    condition = alltrue(flatten([for w in values(module.worker) : [
      for s in jsondecode(w.policy_document).Statement : alltrue([for r in s.Resource :
        contains(["${module.bucket.bucket_arn}/submissions/*", "${module.bucket.bucket_arn}/runs/*",
        "${module.bucket.bucket_arn}/testdata/*", "${module.bucket.bucket_arn}/packages/*"], r)
      ]) if anytrue([for a in s.Action : startswith(a, "s3:")])
    ]]))
    error_message = "A worker's S3 permissions cover submissions/*, runs/*, testdata/* and packages/* only (not the bucket, not other prefixes)."
  }
  assert {
    condition = alltrue(flatten([for w in values(module.worker) : [
      for s in jsondecode(w.policy_document).Statement : alltrue([for a in s.Action : contains([
        "logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
        "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
        "s3:GetObject", "s3:PutObject", "secretsmanager:GetSecretValue", "lambda:InvokeFunction", "sqs:SendMessage",
      ], a)])
    ]]))
    error_message = "A worker's role grants an action outside its list."
  }
}

run "problem_packages_in_the_bucket" {
  command = apply

  assert {
    # Workers read packages/<sha256>.tar.gz (one statement, GetObject alone) and may write none.
    condition = alltrue([for w in values(module.worker) : length([
      for s in jsondecode(w.policy_document).Statement : s
      if s.Effect == "Allow" && s.Action == ["s3:GetObject"] && s.Resource == ["${module.bucket.bucket_arn}/packages/*"]
      ]) == 1 && !anytrue([for s in jsondecode(w.policy_document).Statement :
      contains(s.Resource, "${module.bucket.bucket_arn}/packages/*") && contains(s.Action, "s3:PutObject")
    ])])
    error_message = "Workers get s3:GetObject on <bucket>/packages/* (and no write to it)."
  }
  assert {
    condition = alltrue([for w in values(module.worker) :
      w.environment.PACKAGE_BUCKET == module.bucket.bucket_name && w.environment.PACKAGE_CACHE_MAX_MB == "1024"
    ])
    error_message = "Workers are told the package bucket and their cache's bound."
  }
  assert {
    # judge-admin writes them with the backend policy (PutObject, and GetObject for the HEAD that
    # makes the write once-only), on that prefix only.
    condition = anytrue([for st in jsondecode(aws_iam_policy.backend.policy).Statement :
      toset(st.Action) == toset(["s3:PutObject", "s3:GetObject"]) && st.Resource == ["${module.bucket.bucket_arn}/packages/*"]
    ])
    error_message = "The backend policy may put (and head) <bucket>/packages/*."
  }
  assert {
    # The index in the database names them for as long as a problem does: no expiry covers them.
    condition = alltrue([for rule in module.bucket.lifecycle_rules :
      rule.status != "Enabled" || !rule.expires || !startswith("packages/", rule.prefix == null ? "" : rule.prefix)
    ])
    error_message = "No lifecycle rule may expire current objects under packages/."
  }
  assert {
    # Runs on custom input: the backend writes runs/<id>/ (source, stdin), the workers read it, and it
    # expires: a run is read once, within minutes.
    condition = anytrue([for rule in module.bucket.lifecycle_rules :
      rule.id == "expire-runs" && rule.status == "Enabled" && rule.prefix == "runs/" && rule.expires
    ])
    error_message = "Objects under runs/ expire."
  }
  assert {
    condition = anytrue([for st in jsondecode(aws_iam_policy.backend.policy).Statement :
      st.Action == ["s3:PutObject"] && contains(st.Resource, "${module.bucket.bucket_arn}/runs/*")
    ])
    error_message = "The backend policy may put <bucket>/runs/* (POST /v1/runs)."
  }
}

run "package_cache_bound_fits_the_workers_tmp" {
  command = plan

  variables {
    package_cache_max_mb = 2048
  }

  expect_failures = [var.package_cache_max_mb]
}

run "compile_cache_keyed_by_each_sandbox_build" {
  command = plan

  variables {
    layer_arns = { gcc = "arn:aws:lambda:eu-west-1:123456789012:layer:gcc:7", gcc_pch = "arn:aws:lambda:eu-west-1:123456789012:layer:gcc_pch:7", jdk = "arn:aws:lambda:eu-west-1:123456789012:layer:jdk:3" }
  }

  assert {
    condition = (length(distinct([for w in values(module.worker) : w.environment.SANDBOX_BUILD])) == 3 &&
    alltrue([for w in values(module.worker) : w.environment.COMPILE_CACHE_MAX_MB == "256"]))
    # The three sandboxes run the same zip: only their layers tell their builds apart.
    error_message = "Each worker's compile cache must be keyed by its own sandbox's build (code and layers), 256 MB by default."
  }
}

run "compile_cache_bound_fits_the_workers_tmp" {
  command = plan

  variables {
    compile_cache_max_mb = 1024
  }

  expect_failures = [var.compile_cache_max_mb]
}

run "sandboxes_are_isolated" {
  command = apply

  assert {
    condition = alltrue([for s in values(module.sandbox) :
      s.vpc_config != null &&
      toset(s.vpc_config.security_group_ids) == toset([module.network.sandbox_security_group_id]) &&
      toset(s.vpc_config.subnet_ids) == toset(module.network.sandbox_subnet_ids)
    ])
    error_message = "Sandboxes must run in the sandbox subnets with the sandbox security group only."
  }
  assert {
    condition     = length(module.network.sandbox_security_group_rules.ingress) == 0
    error_message = "The sandbox security group must have no ingress."
  }
  assert {
    # sandbox_large_input_access (default true): exactly one rule, HTTPS to the prefix list of the
    # sandboxes' own S3 endpoint, and no address, group or other port.
    condition = (length(module.network.sandbox_security_group_rules.egress) == 1 &&
      alltrue([for r in module.network.sandbox_security_group_rules.egress :
        r.protocol == "tcp" && r.from_port == 443 && r.to_port == 443 &&
        toset(r.prefix_list_ids) == toset([module.network.sandbox_s3_endpoint.prefix_list_id]) &&
        length(r.cidr_blocks) == 0 && length(r.ipv6_cidr_blocks) == 0 && length(r.security_groups) == 0 && !r.self
    ]))
    error_message = "The sandbox security group's only egress must be TCP 443 to the sandbox S3 endpoint's prefix list."
  }
  assert {
    condition = alltrue([for s in values(module.sandbox) :
    toset(keys(s.environment)) == toset(["JUDGE_LANGUAGES", "SANDBOX_REPLY_KEY", "JUDGE_FRESH_ENVIRONMENT"])])
    error_message = "Sandboxes get JUDGE_LANGUAGES, their reply key and the fresh-environment switch, and nothing else in their environment."
  }
  assert {
    condition     = alltrue([for s in values(module.sandbox) : s.environment.JUDGE_FRESH_ENVIRONMENT == "0"])
    error_message = "Sandbox environments stay warm by default (sandbox_fresh_environment = false)."
  }
  assert {
    # The worker opens only what its own sandbox sealed: one key at both ends, 256 bits of hex.
    condition = alltrue([for k, s in module.sandbox :
    s.environment.SANDBOX_REPLY_KEY == module.worker[k].environment.SANDBOX_REPLY_KEY && length(s.environment.SANDBOX_REPLY_KEY) == 64])
    error_message = "Each sandbox and its worker must share the reply key."
  }
  assert {
    condition     = module.network.dns_firewall_rule_group_id != null
    error_message = "DNS from the VPC (the sandboxes' one channel security groups do not filter) must go through the DNS firewall."
  }
  assert {
    condition = anytrue([for st in jsondecode(module.bucket.policy).Statement :
      st.Sid == "TestdataOnlyThroughTheSandboxEndpoint" && st.Effect == "Deny" && st.Action == "s3:GetObject" &&
      st.Resource == "${module.bucket.bucket_arn}/testdata/*" &&
    try(st.Condition.StringNotEquals["aws:SourceVpce"], null) == [module.network.sandbox_s3_endpoint.id]])
    error_message = "A presigned testdata/ URL must work only through the sandboxes' own S3 endpoint."
  }
  assert {
    # Allowed: writing their own logs, and ENI management that the Deny keeps from the code.
    condition = alltrue(flatten([for s in values(module.sandbox) : [
      for st in jsondecode(s.policy_document).Statement :
      st.Effect == "Deny" || alltrue([for a in st.Action : startswith(a, "logs:") || startswith(a, "ec2:")])
    ]]))
    error_message = "A sandbox role may only write logs (plus the Lambda-only ENI permissions)."
  }
  assert {
    condition = alltrue([for s in values(module.sandbox) : anytrue([
      for st in jsondecode(s.policy_document).Statement :
      st.Effect == "Deny" && contains(st.Action, "ec2:CreateNetworkInterface") && try(st.Condition.Null["lambda:SourceFunctionArn"], "") == "false"
    ])])
    error_message = "The ENI permissions must be denied to the sandbox code itself."
  }
}

# The one way out of a sandbox: presigned GETs of staged inputs, through an endpoint of its own.
run "sandbox_s3_endpoint" {
  command = apply

  assert {
    condition     = module.network.sandbox_s3_endpoint != null && module.network.s3_endpoint != null
    error_message = "With create_vpc_endpoints and sandbox_large_input_access, the sandboxes get their own S3 endpoint."
  }
  assert {
    condition = (toset(module.network.sandbox_s3_endpoint.route_table_ids) == toset(module.network.sandbox_route_table_ids) &&
    length(setintersection(toset(module.network.sandbox_s3_endpoint.route_table_ids), toset(module.network.private_route_table_ids))) == 0)
    error_message = "The sandbox S3 endpoint must be on the sandbox route tables and on no private route table."
  }
  assert {
    condition = (toset(module.network.s3_endpoint.route_table_ids) == toset(module.network.private_route_table_ids) &&
    length(setintersection(toset(module.network.s3_endpoint.route_table_ids), toset(module.network.sandbox_route_table_ids))) == 0)
    error_message = "The workers' S3 endpoint (broader policy) must not be on a sandbox route table."
  }
  assert {
    condition = (length(jsondecode(module.network.sandbox_s3_endpoint.policy).Statement) == 1 &&
      alltrue([for st in jsondecode(module.network.sandbox_s3_endpoint.policy).Statement :
        st.Effect == "Allow" && st.Principal == "*" &&
        st.Action == ["s3:GetObject"] &&
        st.Resource == ["${module.bucket.bucket_arn}/testdata/*"] &&
        length(setsubtract(keys(st), ["Sid", "Effect", "Principal", "Action", "Resource", "Condition"])) == 0
    ]))
    error_message = "The sandbox S3 endpoint policy must allow s3:GetObject on <bucket>/testdata/* and nothing else."
  }
  assert {
    # Every worker's role (the signer of the presigned URLs) matches the signer condition, and the
    # condition names the workers only.
    condition = alltrue([for w in values(module.worker) : anytrue([
      for p in one(jsondecode(module.network.sandbox_s3_endpoint.policy).Statement).Condition.ArnLike["aws:PrincipalArn"] :
      can(regex("^${replace(p, "*", "[^:]*")}$", w.role_arn))
    ])])
    error_message = "The sandbox S3 endpoint must honour URLs signed by every worker role."
  }
  assert {
    condition = alltrue([
      for p in one(jsondecode(module.network.sandbox_s3_endpoint.policy).Statement).Condition.ArnLike["aws:PrincipalArn"] :
      contains([for k in keys(module.worker) : "arn:*:iam::*:role/oj-worker_${k}"], p)
    ])
    error_message = "The sandbox S3 endpoint must honour URLs signed by the worker roles only."
  }
}

run "sandbox_large_input_access_off" {
  command = apply

  variables {
    sandbox_large_input_access = false
  }

  assert {
    condition     = module.network.sandbox_s3_endpoint == null
    error_message = "sandbox_large_input_access = false must not create the sandbox S3 endpoint."
  }
  assert {
    condition     = length(module.network.sandbox_security_group_rules.egress) == 0 && length(module.network.sandbox_security_group_rules.ingress) == 0
    error_message = "sandbox_large_input_access = false leaves the sandbox security group with no egress and no ingress."
  }
  assert {
    condition     = module.network.s3_endpoint != null && toset(module.network.vpc_endpoint_services) == toset(["s3", "sqs", "secretsmanager", "lambda"])
    error_message = "The workers' endpoints do not depend on sandbox_large_input_access."
  }
}

run "visibility_timeout_rule" {
  command = plan

  variables {
    dispatcher_timeout_seconds                  = 60
    submission_queue_visibility_timeout_seconds = 300 # < 6 x 60
  }

  expect_failures = [var.submission_queue_visibility_timeout_seconds]
}

run "batch_size_over_ten_needs_a_window" {
  command = plan

  variables {
    sqs_batch_size                      = 100
    sqs_maximum_batching_window_seconds = 0
  }

  expect_failures = [var.sqs_batch_size]
}

run "dispatcher_concurrency_covers_the_mapping" {
  command = plan

  variables {
    sqs_maximum_concurrency         = 20
    dispatcher_reserved_concurrency = 5
  }

  expect_failures = [var.dispatcher_reserved_concurrency]
}

# The variables a LocalStack apply uses (local/devstack.py gives the provider the emulator's
# endpoints): same module, MariaDB instead of RDS.
run "localstack_shaped_variables" {
  command = apply

  variables {
    create_database      = false
    existing_database    = { host = "127.0.0.1", port = 3307, name = "judge", cidr_block = "127.0.0.1/32" }
    database_credentials = { username = "judge", password = "local-only" }
    create_vpc_endpoints = false
    vpc_internet_egress  = true
    enable_flow_logs     = false
    create_alarms        = false
    tracing_enabled      = false
  }

  assert {
    condition     = module.database.host == "127.0.0.1" && module.worker["cpp"].environment.DB_PORT == "3307"
    error_message = "Workers must be pointed at the existing database."
  }
  assert {
    condition     = module.database.secret_arn != null && module.worker["python"].environment.DB_SECRET_ARN == module.database.secret_arn
    error_message = "A secret must be created from database_credentials and given to the workers."
  }
  assert {
    condition     = length(module.queues.alarm_names) == 0 && length(module.network.vpc_endpoint_services) == 0
    error_message = "create_alarms and create_vpc_endpoints = false must remove what the emulator lacks."
  }
  assert {
    condition     = length(module.network.sandbox_security_group_rules.egress) == 0 && module.network.sandbox_s3_endpoint == null
    error_message = "Without VPC endpoints there is no sandbox S3 endpoint and the sandbox security group keeps no egress."
  }
}

run "bring_your_own_vpc" {
  command = apply

  variables {
    create_vpc              = false
    availability_zones      = []
    vpc_id                  = "vpc-0123456789abcdef0"
    private_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    sandbox_subnet_ids      = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]
    private_route_table_ids = ["rtb-0ccccccccccccccc1"]
    sandbox_route_table_ids = ["rtb-0ddddddddddddddd1"]
  }

  assert {
    condition = (toset(module.worker["java"].vpc_config.subnet_ids) == toset(var.private_subnet_ids) &&
    toset(module.sandbox["java"].vpc_config.subnet_ids) == toset(var.sandbox_subnet_ids))
    error_message = "Functions must use the given subnets."
  }
  assert {
    condition = (toset(module.network.sandbox_s3_endpoint.route_table_ids) == toset(var.sandbox_route_table_ids) &&
    toset(module.network.s3_endpoint.route_table_ids) == toset(var.private_route_table_ids))
    error_message = "Each S3 endpoint must be on the given route tables: sandbox tables for the sandbox endpoint, private tables for the workers'."
  }
}

run "bring_your_own_vpc_needs_sandbox_route_tables" {
  command = plan

  variables {
    create_vpc              = false
    availability_zones      = []
    vpc_id                  = "vpc-0123456789abcdef0"
    private_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    sandbox_subnet_ids      = ["subnet-0bbbbbbbbbbbbbbb1"]
    private_route_table_ids = ["rtb-0ccccccccccccccc1"]
  }

  expect_failures = [var.sandbox_route_table_ids]
}

run "bring_your_own_vpc_sandbox_route_tables_are_their_own" {
  command = plan

  variables {
    create_vpc              = false
    availability_zones      = []
    vpc_id                  = "vpc-0123456789abcdef0"
    private_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    sandbox_subnet_ids      = ["subnet-0bbbbbbbbbbbbbbb1"]
    private_route_table_ids = ["rtb-0ccccccccccccccc1"]
    sandbox_route_table_ids = ["rtb-0ccccccccccccccc1"]
  }

  expect_failures = [var.sandbox_route_table_ids]
}

run "bring_your_own_vpc_without_sandbox_s3" {
  command = plan

  variables {
    create_vpc                 = false
    availability_zones         = []
    vpc_id                     = "vpc-0123456789abcdef0"
    private_subnet_ids         = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    sandbox_subnet_ids         = ["subnet-0bbbbbbbbbbbbbbb1"]
    private_route_table_ids    = ["rtb-0ccccccccccccccc1"]
    sandbox_large_input_access = false
  }

  assert {
    condition     = module.network.sandbox_s3_endpoint == null && length(module.network.sandbox_security_group_rules.egress) == 0
    error_message = "Without sandbox_large_input_access, a bring-your-own VPC needs no sandbox route tables and gets no sandbox egress."
  }
}

run "bring_your_own_vpc_needs_a_vpc_id" {
  command = plan

  variables {
    create_vpc         = false
    availability_zones = []
    private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    sandbox_subnet_ids = ["subnet-0bbbbbbbbbbbbbbb1"]

    sandbox_route_table_ids = ["rtb-0ddddddddddddddd1"]
  }

  expect_failures = [var.vpc_id]
}

run "existing_database_must_be_described" {
  command = plan

  variables {
    create_database = false
  }

  expect_failures = [var.existing_database]
}

run "dns_firewall_allows_what_the_workers_resolve" {
  command = apply

  variables {
    result_webhook_url  = "https://hooks.example.com/judge"
    backend_cidr_blocks = ["10.20.0.0/16"]
    dns_allowed_domains = ["*.corp.example"]
  }

  assert {
    condition     = alltrue([for d in ["amazonaws.com", "*.amazonaws.com", "*.internal", "hooks.example.com", "*.corp.example"] : contains(local.dns_allowed_domains, d)])
    error_message = "The DNS allow list must hold AWS's names, the VPC's, the webhook's host and the extra domains."
  }
}

run "dns_firewall_off" {
  command = apply

  variables {
    dns_firewall = false
  }

  assert {
    condition     = module.network.dns_firewall_rule_group_id == null
    error_message = "dns_firewall = false must create no DNS firewall."
  }
}

run "worker_outlives_its_sandbox_calls" {
  command = plan

  variables {
    sandbox_timeout_seconds = 300
    worker_timeout_seconds  = 300 # waits for whole sandbox calls: needs at least 360
  }

  expect_failures = [var.worker_timeout_seconds]
}

run "kms_keys_reach_the_roles_that_use_them" {
  command = apply

  variables {
    queue_kms_key_id    = "arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111"
    bucket_kms_key_arn  = "arn:aws:kms:eu-west-1:123456789012:key/22222222-2222-2222-2222-222222222222"
    database_kms_key_id = "arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"
  }

  assert {
    condition = alltrue([for w in values(module.worker) : anytrue([
      for st in jsondecode(w.policy_document).Statement :
      toset(st.Action) == toset(["kms:Decrypt", "kms:GenerateDataKey"]) && toset(flatten([st.Resource])) == toset([
        var.queue_kms_key_id, var.bucket_kms_key_arn, var.database_kms_key_id,
      ])
    ])])
    error_message = "Workers send to and fail into encrypted queues, read and stage encrypted objects and read the encrypted secret: they need the three keys."
  }
  assert {
    condition = anytrue([for st in jsondecode(module.dispatcher.policy_document).Statement :
    toset(st.Action) == toset(["kms:Decrypt", "kms:GenerateDataKey"]) && flatten([st.Resource]) == [var.queue_kms_key_id]])
    error_message = "The dispatcher receives from and sends to encrypted queues: it needs the queue key, and only that."
  }
  assert {
    condition = alltrue(flatten([for s in values(module.sandbox) : [
      for st in jsondecode(s.policy_document).Statement : !anytrue([for a in st.Action : startswith(a, "kms:")])
    ]]))
    error_message = "Sandboxes use no key."
  }
}

run "queue_kms_key_must_be_an_arn" {
  command = plan

  variables {
    queue_kms_key_id = "my-key-alias"
  }

  expect_failures = [var.queue_kms_key_id]
}

run "layers_are_staged_through_s3_by_default" {
  command = apply

  assert {
    condition     = alltrue([for l in values(module.layer) : l.s3_object != null && l.s3_object.bucket == module.bucket.bucket_name])
    error_message = "Layer zips (the GCC layer is over the API's 50 MB) must go through S3 by default."
  }
}

run "existing_database_needs_a_route" {
  command = plan

  variables {
    create_database   = false
    existing_database = { host = "db.corp.example", name = "judge", secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db" }
  }

  expect_failures = [var.existing_database]
}

run "no_vpc_endpoints_needs_another_way_out" {
  command = plan

  variables {
    create_vpc_endpoints = false
  }

  expect_failures = [var.create_vpc_endpoints]
}

run "webhook_needs_a_route" {
  command = plan

  variables {
    result_webhook_url = "https://hooks.example.com/judge"
  }

  expect_failures = [var.result_webhook_url]
}

run "functions_in_the_vpc" {
  command = apply

  assert {
    condition     = alltrue([for f in concat(values(module.worker), values(module.sandbox)) : f.vpc_config != null])
    error_message = "Workers (database, answers) and sandboxes (submitted code) must run in the VPC."
  }
  assert {
    condition     = module.dispatcher.vpc_config == null
    error_message = "The dispatcher calls only Lambda and SQS: outside the VPC it needs no ENI or endpoint."
  }
}

run "alarms_reach_someone" {
  command = apply

  variables {
    alarm_emails = ["oncall@example.com"]
  }

  assert {
    condition     = length(aws_sns_topic.alarms) == 1 && length(aws_sns_topic_subscription.alarm_email) == 1
    error_message = "Without alarm_actions the alarms need a topic of their own, with the on-call subscribed."
  }
  assert {
    condition = alltrue([for a in values(aws_cloudwatch_metric_alarm.function) : a.alarm_actions == toset([aws_sns_topic.alarms[0].arn])]) && alltrue([
    for name in concat(["dispatcher-errors", "dispatcher-throttles"], flatten([for k in keys(module.worker) : ["worker_${k}-errors", "worker_${k}-async-events-dropped", "worker_${k}-async-event-age"]])) : contains(keys(aws_cloudwatch_metric_alarm.function), name)])
    error_message = "Every function alarms on errors (sandboxes: throttles only) and every worker on dropped and aging events, to the topic."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.database) == 2
    error_message = "The database alarms on connections and free storage."
  }
}

run "backend_access_is_least_privilege" {
  command = apply

  assert {
    condition = alltrue([for st in jsondecode(aws_iam_policy.backend.policy).Statement :
      st.Effect == "Allow" && !contains(st.Resource, "*") && alltrue([for a in st.Action : !endswith(a, ":*")])
    ])
    error_message = "The backend policy names every action and resource."
  }
  assert {
    condition = anytrue([for st in jsondecode(aws_iam_policy.backend.policy).Statement :
    st.Action == ["sqs:SendMessage"] && st.Resource == [module.queues.queues["submission"].arn]])
    error_message = "The backend sends to the submission queue (and to no other)."
  }
  assert {
    condition     = length(aws_iam_role_policy_attachment.backend) == 1 && output.backend_role_arn != null
    error_message = "By default a backend role carries the policy."
  }
}

run "reservations_fit_the_account" {
  command = plan

  variables {
    account_concurrency_limit    = 400
    worker_reserved_concurrency  = 50
    sandbox_reserved_concurrency = 50 # 3 x (50 + 50) = 300 leaves 100: fits
  }

  assert {
    condition     = local.reserved_concurrency == 300
    error_message = "Reservations are counted over the dispatcher and every worker and sandbox."
  }
}

run "reservations_that_leave_fewer_than_100_are_refused" {
  command = plan

  variables {
    account_concurrency_limit    = 1000
    worker_reserved_concurrency  = 100
    sandbox_reserved_concurrency = 250 # 3 x 350 = 1050
  }

  expect_failures = [terraform_data.concurrency_budget]
}

run "reservations_are_checked_against_the_quota_service_quotas_reports" {
  command = plan

  override_data {
    target = data.aws_servicequotas_service_quota.lambda_concurrency
    values = { value = 50 } # a new account's reduced quota
  }

  variables {
    worker_reserved_concurrency = 10
  }

  expect_failures = [terraform_data.concurrency_budget]
}

run "workers_reach_the_database_through_the_proxy_over_tls" {
  command = apply

  assert {
    condition     = alltrue([for w in values(module.worker) : w.environment.DB_TLS == "true"])
    error_message = "By default the workers connect through the RDS Proxy, over TLS."
  }
}

run "workers_connect_as_their_own_database_user" {
  command = apply

  assert {
    condition = (output.database_worker_secret_arn == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:oj-db-worker-mock" &&
    output.database_worker_secret_arn != output.database_secret_arn)
    error_message = "A created database gets a secret of the workers' own user, apart from the master secret."
  }
  assert {
    condition     = alltrue([for w in values(module.worker) : w.environment.DB_SECRET_ARN == output.database_worker_secret_arn])
    error_message = "The workers connect with the workers' user's secret, not the master's."
  }
  assert {
    condition = (length(module.database.proxy_auth_secret_arns) == 2 &&
    toset(module.database.proxy_auth_secret_arns) == toset([output.database_secret_arn, output.database_worker_secret_arn]))
    error_message = "The RDS Proxy needs an auth entry for the master user and one for the workers' user."
  }
  assert {
    condition = anytrue([for st in jsondecode(module.database.proxy_role_policy).Statement :
    contains(st.Action, "secretsmanager:GetSecretValue") && toset(st.Resource) == toset([output.database_secret_arn, output.database_worker_secret_arn])])
    error_message = "The proxy's role reads both secrets (and no other)."
  }
  assert {
    condition = anytrue([for st in jsondecode(aws_iam_policy.backend.policy).Statement :
    st.Sid == "ReadDatabaseSecret" && toset(st.Resource) == toset([output.database_secret_arn, output.database_worker_secret_arn])])
    error_message = "The backend keeps the master secret and reads the workers' one, which its migration makes the user from."
  }
  assert {
    condition     = module.database.parameters["slow_query_log"] == "1" && !contains(keys(module.database.parameters), "require_secure_transport")
    error_message = "Behind the proxy (which requires TLS) the instance keeps its default transport setting."
  }
}

run "database_worker_user_off_keeps_the_master_secret" {
  command = apply

  variables {
    database_worker_user = false
  }

  assert {
    condition = (output.database_worker_secret_arn == null &&
    alltrue([for w in values(module.worker) : w.environment.DB_SECRET_ARN == output.database_secret_arn]))
    error_message = "With database_worker_user = false the workers use the master secret, as before."
  }
  assert {
    condition     = module.database.proxy_auth_secret_arns == [output.database_secret_arn]
    error_message = "Without the workers' user the proxy logs in as the master user only."
  }
}

run "an_existing_database_keeps_the_master_secret_unless_given_a_worker_secret" {
  command = apply

  variables {
    create_database      = false
    existing_database    = { host = "127.0.0.1", port = 3307, name = "judge", cidr_block = "127.0.0.1/32", worker_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:judge-worker" }
    database_credentials = { username = "judge", password = "local-only" }
  }

  assert {
    condition     = alltrue([for w in values(module.worker) : w.environment.DB_SECRET_ARN == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:judge-worker"])
    error_message = "An existing database's worker_secret_arn is what the workers connect with."
  }
  assert {
    condition     = output.database_worker_secret_arn == var.existing_database.worker_secret_arn && output.database_secret_arn != output.database_worker_secret_arn
    error_message = "The backend keeps the existing database's master secret."
  }
  assert {
    condition     = alltrue([for w in values(module.worker) : w.environment.DB_TLS == "false"])
    error_message = "An existing database keeps today's transport (the local MariaDB has no TLS)."
  }
}

run "without_the_proxy_the_instance_is_tls_only" {
  command = apply

  variables {
    create_database_proxy = false
  }

  assert {
    condition     = module.database.parameters["require_secure_transport"] == "1" && output.database_tls_required
    error_message = "An instance reached without the proxy refuses connections without TLS (require_secure_transport)."
  }
  assert {
    condition = alltrue([for w in values(module.worker) :
      w.environment.DB_TLS == "true" && w.environment.DB_TLS_VERIFY == "false" && !contains(keys(w.environment), "DB_TLS_CA") &&
      w.environment.DB_SECRET_ARN == output.database_worker_secret_arn
    ])
    error_message = "Without the proxy and without a CA bundle the workers encrypt (the RDS CAs are in no system trust store, so they cannot verify)."
  }
  assert {
    condition     = module.database.proxy_auth_secret_arns == []
    error_message = "No proxy, no auth entries."
  }
}

run "without_the_proxy_a_ca_bundle_verifies_the_instance" {
  command = apply

  variables {
    create_database_proxy = false
    database_tls_ca_file  = "/opt/rds/global-bundle.pem"
  }

  assert {
    condition = alltrue([for w in values(module.worker) :
      w.environment.DB_TLS == "true" && w.environment.DB_TLS_CA == "/opt/rds/global-bundle.pem" && !contains(keys(w.environment), "DB_TLS_VERIFY")
    ])
    error_message = "With database_tls_ca_file the workers verify the instance's certificate against that bundle."
  }
}

run "a_dashboard_shows_the_judge" {
  command = apply

  assert {
    condition = length(jsondecode(aws_cloudwatch_dashboard.judge.dashboard_body).widgets) == 4 && alltrue([
      for title in ["Queue depth", "Verdicts"] : anytrue([for w in jsondecode(aws_cloudwatch_dashboard.judge.dashboard_body).widgets : w.properties.title == title])
    ])
    error_message = "The dashboard shows queue depth, judging time, verdicts and cost per submission."
  }
  assert {
    condition = length([for m in jsondecode(aws_cloudwatch_dashboard.judge.dashboard_body).widgets[3].properties.metrics :
    m if can(m[0].expression)]) == length(local.languages)
    error_message = "A cost line per language."
  }
}

run "bring_your_own_vpc_with_its_endpoints" {
  command = apply

  override_data {
    target = module.network.data.aws_subnet.private["subnet-0aaaaaaaaaaaaaaa2"]
    values = { availability_zone = "eu-west-1a" } # the same AZ as the next one
  }
  override_data {
    target = module.network.data.aws_subnet.private["subnet-0aaaaaaaaaaaaaaa3"]
    values = { availability_zone = "eu-west-1a" }
  }
  override_data {
    target = module.network.data.aws_subnet.private["subnet-0aaaaaaaaaaaaaaa1"]
    values = { availability_zone = "eu-west-1b" }
  }
  override_data {
    target = module.network.data.aws_prefix_list.s3[0]
    values = { id = "pl-6da54004" }
  }

  variables {
    create_vpc              = false
    availability_zones      = []
    vpc_id                  = "vpc-0123456789abcdef0"
    private_subnet_ids      = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"]
    sandbox_subnet_ids      = ["subnet-0bbbbbbbbbbbbbbb1"]
    private_route_table_ids = ["rtb-0ccccccccccccccc1"]
    sandbox_route_table_ids = ["rtb-0ddddddddddddddd1"]
    existing_vpc_endpoints  = ["s3", "sqs"]
  }

  assert {
    condition     = toset(module.network.vpc_endpoint_services) == toset(["secretsmanager", "lambda"])
    error_message = "Endpoints the VPC has already must not be created again (AWS refuses a second S3 gateway on a route table, a second private-DNS endpoint)."
  }
  assert {
    condition     = toset(module.network.interface_endpoint_subnet_ids) == toset(["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"])
    error_message = "An interface endpoint takes one subnet per AZ."
  }
  assert {
    condition     = module.network.s3_prefix_list_id == "pl-6da54004"
    error_message = "Workers reach S3 through the existing gateway by the region's S3 prefix list."
  }
}

run "database_logs_are_kept_and_filled" {
  command = apply

  assert {
    condition     = alltrue([for name, group in module.database.log_groups : group.retention_in_days == var.log_retention_days]) && toset(keys(module.database.log_groups)) == toset(["error", "slowquery"])
    error_message = "The exported database logs need log groups with a retention (RDS makes them without one)."
  }
  assert {
    condition     = module.database.parameters["slow_query_log"] == "1" && module.database.parameter_family == "mysql8.4"
    error_message = "The slow-query export is empty unless slow_query_log is on in the instance's parameter group."
  }
}

run "sandbox_fresh_environment" {
  command = apply
  variables {
    sandbox_fresh_environment = true
  }
  assert {
    condition     = alltrue([for s in values(module.sandbox) : s.environment.JUDGE_FRESH_ENVIRONMENT == "1"])
    error_message = "sandbox_fresh_environment = true must reach every sandbox function as JUDGE_FRESH_ENVIRONMENT=1."
  }
}

# No AZs given: two are chosen among the usable zones that every interface endpoint service is
# offered in; a zone without Lambda's endpoint is never chosen.
run "availability_zones_chosen_from_the_region" {
  command = apply

  variables {
    availability_zones = []
  }

  override_data {
    target = module.network.data.aws_vpc_endpoint_service.offered["lambda"]
    values = { availability_zones = ["eu-west-1b", "eu-west-1c"] }
  }

  assert {
    condition     = module.network.availability_zones == tolist(["eu-west-1b", "eu-west-1c"])
    error_message = "The chosen AZs must be offered by every interface endpoint service (eu-west-1a lacks Lambda's)."
  }
  assert {
    condition     = length(module.network.private_subnet_ids) == 2 && length(module.network.interface_endpoint_subnet_ids) == 2
    error_message = "One private subnet per chosen AZ, and the interface endpoints in each."
  }
}

run "availability_zone_count_three" {
  command = apply

  variables {
    availability_zones      = []
    availability_zone_count = 3
  }

  assert {
    condition     = module.network.availability_zones == tolist(["eu-west-1a", "eu-west-1b", "eu-west-1c"])
    error_message = "availability_zone_count = 3 must choose three zones."
  }
}

# Fewer than two zones offer everything: the plan stops with the reason, before any resource.
run "too_few_zones_offer_the_endpoint_services" {
  command = plan

  module {
    source = "./modules/network"
  }

  variables {
    name_prefix        = "oj"
    region             = "eu-west-1"
    availability_zones = []
  }

  override_data {
    target = data.aws_vpc_endpoint_service.offered["sqs"]
    values = { availability_zones = ["eu-west-1c"] }
  }

  expect_failures = [aws_vpc.this]
}

run "no_submission_lost_or_stuck" {
  command = apply

  assert {
    condition     = alltrue([for f in [module.outbox_relay, module.sweeper] : f.schedule_rule_arn != null && f.vpc_config != null])
    error_message = "The outbox relay and the sweeper run on a schedule, in the VPC (they reach the database)."
  }
  assert {
    condition = alltrue([for f in [module.outbox_relay, module.sweeper] : alltrue([
      for st in jsondecode(f.policy_document).Statement : st.Resource == [module.queues.queues["submission"].arn]
      if contains(st.Action, "sqs:SendMessage")
    ])])
    error_message = "The relay and the sweeper send to the submission queue and to no other."
  }
  assert {
    condition = (module.sweeper.environment.WORKER_TIMEOUT_SECONDS == tostring(var.worker_timeout_seconds) &&
    module.sweeper.environment.WORKER_MAX_RETRY_ATTEMPTS == tostring(var.worker_max_retry_attempts))
    error_message = "The sweeper bounds a judging by the workers' own timeout and retries."
  }
  assert {
    condition = alltrue([for name in ["oj-submission-dlq-not-empty", "oj-completion-dlq-not-empty", "oj-worker-failure-queue-not-empty"] :
    contains(module.queues.alarm_names, name)])
    error_message = "Every place failures land (both DLQs, the workers' failure destination) alarms on its depth."
  }
  assert {
    condition = alltrue([for name in ["outbox_relay-errors", "sweeper-errors"] :
    contains(keys(aws_cloudwatch_metric_alarm.function), name)])
    error_message = "A relay or sweeper that fails alarms like every other function."
  }
  assert {
    condition = anytrue([for st in jsondecode(aws_iam_policy.backend.policy).Statement :
    contains(st.Resource, module.queues.dead_letter_queues["completion"].arn) if contains(st.Action, "sqs:ReceiveMessage")])
    error_message = "The backend's consumer drains the completion DLQ too."
  }
}
