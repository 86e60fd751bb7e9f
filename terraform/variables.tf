# ---- where to deploy -------------------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every name; functions are <prefix>-<role> (e.g. oj-worker_cpp)."
  type        = string
  default     = "oj"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name_prefix))
    error_message = "name_prefix must be 1-20 lowercase letters, digits or '-', starting with a letter."
  }
}

# ---- code and toolchains ---------------------------------------------------------------------

variable "build_dir" {
  description = "Where `make package` and the layer builds put functions/<name>.zip and layers/<name>.zip; null is the repository's build/."
  type        = string
  default     = null
}

variable "layer_arns" {
  description = "Already published toolchain layers by name (gcc, gcc_pch, jdk); a layer not listed is published from build_dir/layers/<name>.zip."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.layer_arns) : contains(["gcc", "gcc_pch", "jdk"], k)])
    error_message = "layer_arns keys must be gcc, gcc_pch or jdk."
  }
}

variable "layer_upload_bucket" {
  description = "Bucket the layer zips are staged in (layers/<name>/<sha256>.zip) before Lambda publishes them; null stages them in the submissions bucket."
  type        = string
  default     = null
}

variable "layer_direct_upload" {
  description = "Send the layer zips in the Lambda API request instead of through S3. The API takes at most 50 MB, which the GCC layer exceeds: only for small custom layers."
  type        = bool
  default     = false
}

variable "tracing_enabled" {
  description = "Active X-Ray tracing on the dispatcher and workers (never on sandboxes: their role writes logs only)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups."
  type        = number
  default     = 30
}

variable "extra_environment" {
  description = "Extra environment for the dispatcher and workers (not the sandboxes). No secret values."
  type        = map(string)
  default     = {}
}

# ---- submission queue → dispatcher -----------------------------------------------------------

variable "dispatcher_timeout_seconds" {
  description = "Dispatcher timeout; it only validates and routes, so it is short."
  type        = number
  default     = 30

  validation {
    condition     = var.dispatcher_timeout_seconds >= 3 && var.dispatcher_timeout_seconds <= 900
    error_message = "dispatcher_timeout_seconds must be between 3 and 900."
  }
}

variable "dispatcher_memory_mb" {
  description = "Dispatcher memory."
  type        = number
  default     = 256
}

variable "dispatcher_reserved_concurrency" {
  description = "Reserved concurrency of the dispatcher (-1 for none, the default: new accounts have reduced quotas, and Lambda refuses a reservation that leaves fewer than 100 unreserved); at least sqs_maximum_concurrency."
  type        = number
  default     = -1

  validation {
    condition     = var.dispatcher_reserved_concurrency == -1 || var.dispatcher_reserved_concurrency >= var.sqs_maximum_concurrency
    error_message = "dispatcher_reserved_concurrency must be -1 or at least sqs_maximum_concurrency, or the event source mapping is throttled."
  }
}

variable "submission_queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the submission queue: at least 6x the dispatcher timeout plus the batching window (AWS guidance for SQS event sources)."
  type        = number
  default     = 300

  validation {
    condition     = var.submission_queue_visibility_timeout_seconds >= 6 * var.dispatcher_timeout_seconds + var.sqs_maximum_batching_window_seconds
    error_message = "submission_queue_visibility_timeout_seconds must be at least 6 x dispatcher_timeout_seconds + sqs_maximum_batching_window_seconds, or in-flight messages reappear and are dispatched twice."
  }

  validation {
    condition     = var.submission_queue_visibility_timeout_seconds <= 43200
    error_message = "submission_queue_visibility_timeout_seconds must be at most 43200 (12 hours)."
  }
}

variable "submission_max_receive_count" {
  description = "Receives before a submission message moves to the DLQ."
  type        = number
  default     = 5

  validation {
    condition     = var.submission_max_receive_count >= 1 && var.submission_max_receive_count <= 1000
    error_message = "submission_max_receive_count must be between 1 and 1000."
  }
}

variable "sqs_batch_size" {
  description = "Messages per dispatcher invocation."
  type        = number
  default     = 10

  validation {
    condition     = var.sqs_batch_size >= 1 && var.sqs_batch_size <= 10000 && (var.sqs_batch_size <= 10 || var.sqs_maximum_batching_window_seconds >= 1)
    error_message = "sqs_batch_size must be 1-10, or up to 10000 with a batching window of at least 1 second."
  }
}

variable "sqs_maximum_batching_window_seconds" {
  description = "How long the event source mapping gathers messages before invoking the dispatcher."
  type        = number
  default     = 0

  validation {
    condition     = var.sqs_maximum_batching_window_seconds >= 0 && var.sqs_maximum_batching_window_seconds <= 300
    error_message = "sqs_maximum_batching_window_seconds must be between 0 and 300."
  }
}

variable "sqs_maximum_concurrency" {
  description = "Maximum concurrent dispatcher invocations by the event source mapping."
  type        = number
  default     = 5

  validation {
    condition     = var.sqs_maximum_concurrency >= 2 && var.sqs_maximum_concurrency <= 1000
    error_message = "sqs_maximum_concurrency must be between 2 and 1000."
  }
}

variable "queue_kms_key_id" {
  description = "KMS key for the queues: a key ARN (the roles that send and receive get kms:Decrypt and kms:GenerateDataKey on it) or alias/aws/sqs; null uses SQS-managed SSE."
  type        = string
  default     = null

  validation {
    condition     = var.queue_kms_key_id == null || var.queue_kms_key_id == "alias/aws/sqs" || can(regex("^arn:aws[a-z-]*:kms:[^:]+:[0-9]{12}:key/", var.queue_kms_key_id))
    error_message = "queue_kms_key_id must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) or alias/aws/sqs: IAM grants need the key's ARN."
  }
}

variable "create_alarms" {
  description = "CloudWatch alarms: DLQ depth and backlog age on the queues; errors, throttles, dropped and aging events on the functions; connections and free storage on the database."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified by the alarms; empty creates an SNS topic <prefix>-alarms for them (subscribe alarm_emails, or your own endpoints, to it)."
  type        = list(string)
  default     = []
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic this module creates (each must confirm its subscription)."
  type        = list(string)
  default     = []
}

variable "worker_event_age_alarm_seconds" {
  description = "Alarm when an asynchronous worker event has waited this long before being run (throttled or retried workers)."
  type        = number
  default     = 300
}

variable "database_connections_alarm" {
  description = "Alarm when the database has more connections than this (a db.t4g.small allows about 150)."
  type        = number
  default     = 120
}

variable "database_free_storage_alarm_gib" {
  description = "Alarm when the database's free storage falls under this many GiB."
  type        = number
  default     = 2
}

variable "oldest_message_age_alarm_seconds" {
  description = "Alarm when a message has waited this long in the submission, completion or failure queue."
  type        = number
  default     = 600
}

# ---- workers and sandboxes -------------------------------------------------------------------

variable "worker_timeout_seconds" {
  description = "Worker timeout: compile plus every test of one submission."
  type        = number
  default     = 300

  validation {
    condition     = var.worker_timeout_seconds >= 10 && var.worker_timeout_seconds <= 900
    error_message = "worker_timeout_seconds must be between 10 and 900."
  }
  validation {
    # The worker waits for a whole sandbox call (compile, or one batch) and must outlive it.
    condition     = var.worker_timeout_seconds >= var.sandbox_timeout_seconds + 60
    error_message = "worker_timeout_seconds must be at least sandbox_timeout_seconds + 60: the worker waits for whole sandbox calls."
  }
}

variable "worker_memory_mb" {
  description = "Worker memory (checkers run here; C and C++ validators are compiled here once per environment). It mostly waits on its sandbox call, billed: make bench-e2e measured at most 71 MB used of 1024 on A+B, and GCC peaks near 100 MB on the example validators, so 512 leaves room for testlib-sized ones."
  type        = number
  default     = 512
}

variable "worker_reserved_concurrency" {
  description = "Reserved concurrency of each language's worker (-1 for none)."
  type        = number
  default     = -1

  validation {
    condition     = var.worker_reserved_concurrency >= -1
    error_message = "worker_reserved_concurrency must be -1 or more."
  }
}

variable "worker_max_retry_attempts" {
  description = "Retries of a failed asynchronous worker invocation before the on-failure destination."
  type        = number
  default     = 2
}

variable "recovery_schedule_expression" {
  description = "How often the outbox relay and the sweeper run (EventBridge schedule)."
  type        = string
  default     = "rate(1 minute)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.recovery_schedule_expression))
    error_message = "recovery_schedule_expression must be rate(...) or cron(...)."
  }
}

variable "worker_max_event_age_seconds" {
  description = "Age after which a queued worker event goes to the on-failure destination instead."
  type        = number
  default     = 3600
}

variable "testdata_cache_dir" {
  description = "Where workers cache problem packages between warm invocations."
  type        = string
  default     = "/tmp/testdata"
}

variable "package_cache_max_mb" {
  description = "At most this much of a worker's 2048 MB /tmp (its ephemeral storage) holds unpacked problem packages; the least recently used go first. The rest is for the archive being fetched and the validators compiled there."
  type        = number
  default     = 1024

  validation {
    condition     = var.package_cache_max_mb >= 64 && var.package_cache_max_mb <= 1536
    error_message = "package_cache_max_mb must be between 64 and 1536 (leave a worker's 2048 MB /tmp room for a download and its compiles)."
  }
}

variable "compile_cache_max_mb" {
  description = "At most this much of a worker's /tmp keeps compiled programs by source hash and sandbox build, so a resubmitted or rejudged source skips its compile call (0: off). A C++ A+B program keeps in about 1.9 MB (its 1.4 MB binary, base64)."
  type        = number
  default     = 256

  validation {
    condition     = var.compile_cache_max_mb >= 0 && var.compile_cache_max_mb <= 512
    error_message = "compile_cache_max_mb must be between 0 (off) and 512 (with package_cache_max_mb, it shares the worker's 2048 MB /tmp)."
  }
}

variable "sandbox_fresh_environment" {
  description = "End each sandbox execution environment after one invocation, so every compile and every batch of runs starts in a fresh one (no process, file or memory of an earlier submission can exist). Costs a cold start per sandbox call: see the README for the measured figure."
  type        = bool
  default     = false
}

variable "sandbox_timeout_seconds" {
  description = "Sandbox timeout: one compile or one batch of runs."
  type        = number
  default     = 120

  validation {
    condition     = var.sandbox_timeout_seconds >= 10 && var.sandbox_timeout_seconds <= 900
    error_message = "sandbox_timeout_seconds must be between 10 and 900."
  }
}

variable "sandbox_memory_mb" {
  description = "Sandbox memory by worker language key (python, java, cpp). CPU comes with memory, one vCPU per 1,769 MB: at 1769 a compile, a JVM start or a run gets a whole vCPU, so a submission's wall time is its CPU time; below that the same CPU-bound work bills the same GB-seconds over longer, above it a single thread gains nothing and bills more."
  type        = map(number)
  default     = { python = 1769, java = 1769, cpp = 1769 }

  validation {
    condition     = alltrue([for m in values(var.sandbox_memory_mb) : m >= 128 && m <= 10240])
    error_message = "sandbox_memory_mb values must be between 128 and 10240."
  }
}

variable "sandbox_reserved_concurrency" {
  description = "Reserved concurrency of each language's sandbox (-1 for none); at least the worker's, since each worker waits on its sandbox."
  type        = number
  default     = -1

  validation {
    condition     = var.sandbox_reserved_concurrency == -1 || var.worker_reserved_concurrency == -1 || var.sandbox_reserved_concurrency >= var.worker_reserved_concurrency
    error_message = "sandbox_reserved_concurrency must be at least worker_reserved_concurrency (or -1)."
  }
}

variable "result_direct_db" {
  description = "Workers also write results straight to the database."
  type        = bool
  default     = false
}

variable "result_webhook_url" {
  description = "Optional HTTPS webhook the workers also post results to."
  type        = string
  default     = null

  validation {
    condition     = var.result_webhook_url == null || can(regex("^https://", var.result_webhook_url))
    error_message = "result_webhook_url must be https."
  }
  validation {
    # No NAT: the workers reach only the backend's security groups and CIDRs on 443.
    condition     = var.result_webhook_url == null || var.vpc_internet_egress || length(var.backend_security_group_ids) + length(var.backend_cidr_blocks) > 0
    error_message = "result_webhook_url needs a route: the webhook's host in backend_security_group_ids or backend_cidr_blocks (port 443), or vpc_internet_egress = true."
  }
}

variable "result_webhook_secret_arn" {
  description = "Secrets Manager secret with the webhook's HMAC key (read by workers)."
  type        = string
  default     = null
}

# ---- network ---------------------------------------------------------------------------------

variable "create_vpc" {
  description = "Create the VPC; false brings your own (vpc_id, private_subnet_ids, sandbox_subnet_ids, private_route_table_ids, sandbox_route_table_ids)."
  type        = bool
  default     = true
}

variable "vpc_cidr" {
  description = "CIDR of the created VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "AZs of the created subnets (at least two); empty chooses availability_zone_count of the zones that are available without opting in and offer Lambda and every interface endpoint service."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) >= 2
    error_message = "Give at least two availability_zones, or none to have them chosen."
  }
}

variable "availability_zone_count" {
  description = "How many AZs to choose when availability_zones is empty; each adds two subnets and one interface-endpoint ENI per service (about $7.30 a month each)."
  type        = number
  default     = 2

  validation {
    condition     = var.availability_zone_count >= 2
    error_message = "availability_zone_count must be at least 2."
  }
}

variable "excluded_zone_ids" {
  description = "AZ IDs (e.g. use1-az3) never to choose when availability_zones is empty."
  type        = set(string)
  default     = []
}

variable "vpc_id" {
  description = "Existing VPC (create_vpc = false)."
  type        = string
  default     = null

  validation {
    condition     = var.create_vpc || var.vpc_id != null
    error_message = "vpc_id is required when create_vpc = false."
  }
}

variable "private_subnet_ids" {
  description = "Existing private subnets in at least two AZs (create_vpc = false)."
  type        = list(string)
  default     = []

  validation {
    condition     = var.create_vpc || length(var.private_subnet_ids) >= 2
    error_message = "Give at least two private_subnet_ids when create_vpc = false."
  }
}

variable "sandbox_subnet_ids" {
  description = "Existing subnets without any route out, for the sandboxes (create_vpc = false)."
  type        = list(string)
  default     = []

  validation {
    condition     = var.create_vpc || length(var.sandbox_subnet_ids) >= 1
    error_message = "Give sandbox_subnet_ids when create_vpc = false."
  }
}

variable "private_route_table_ids" {
  description = "Route tables of the existing private subnets, for the workers' S3 gateway endpoint (create_vpc = false)."
  type        = list(string)
  default     = []
}

variable "sandbox_route_table_ids" {
  description = "Route tables of the existing sandbox subnets (create_vpc = false), for the sandboxes' own S3 gateway endpoint: not shared with private_route_table_ids or with any other subnet."
  type        = list(string)
  default     = []

  validation {
    condition = (var.create_vpc || !var.create_vpc_endpoints || !var.sandbox_large_input_access ||
    length(var.sandbox_route_table_ids) > 0)
    error_message = "Give sandbox_route_table_ids when create_vpc = false (the sandbox S3 endpoint goes on them), or set sandbox_large_input_access = false."
  }
  validation {
    condition     = length(setintersection(toset(var.sandbox_route_table_ids), toset(var.private_route_table_ids))) == 0
    error_message = "sandbox_route_table_ids must not include any of private_route_table_ids: the sandbox subnets need route tables of their own."
  }
}

variable "create_vpc_endpoints" {
  description = "S3 gateway and SQS/Secrets Manager/Lambda interface endpoints (no NAT needed). Off only where the VPC reaches AWS's APIs another way (vpc_internet_egress) or an emulator lacks them."
  type        = bool
  default     = true

  validation {
    condition     = var.create_vpc_endpoints || var.vpc_internet_egress
    error_message = "create_vpc_endpoints = false leaves the VPC functions without any AWS API (no NAT here): keep the endpoints, or say vpc_internet_egress = true for a VPC that has its own route out."
  }
}

variable "vpc_internet_egress" {
  description = "The VPC's private subnets route to the internet (a NAT gateway of your own): workers may then reach AWS's APIs and a webhook without VPC endpoints. False for the VPC this module creates (it has none)."
  type        = bool
  default     = false
}

variable "sandbox_large_input_access" {
  description = "Let sandboxes fetch test inputs over 1 MB, which workers stage at s3://<bucket>/testdata/<sha256> and pass as presigned GET URLs: a second S3 gateway endpoint on the sandbox route tables only, whose policy allows s3:GetObject on <bucket>/testdata/* signed by the worker roles and nothing else, and one sandbox egress rule, HTTPS to that endpoint's prefix list. Sandbox code holds no credentials S3 accepts, so it reads only objects a worker gave it a URL for and writes nowhere. False keeps the sandboxes without any egress; inputs over 1 MB then end as JUDGE_ERROR. Needs create_vpc_endpoints."
  type        = bool
  default     = true
}

variable "enable_flow_logs" {
  description = "VPC flow logs to CloudWatch Logs (created VPC only)."
  type        = bool
  default     = true
}

variable "backend_security_group_ids" {
  description = "Security groups of the backend (intake API, consumer) by a static name: admitted by the database; workers may reach them on 443."
  type        = map(string)
  default     = {}
}

variable "backend_cidr_blocks" {
  description = "CIDRs of the backend: admitted by the database; workers may reach them on 443 (webhook)."
  type        = list(string)
  default     = []
}

# ---- database --------------------------------------------------------------------------------

variable "create_database" {
  description = "Create RDS MySQL 8; false uses existing_database (another RDS, or MariaDB locally)."
  type        = bool
  default     = true
}

variable "existing_database" {
  description = "Existing database when create_database = false: host, port, name and secret_arn (or database_credentials to create the secret), optionally its security group or CIDR for the worker egress rule, and worker_secret_arn: the secret ({\"username\",\"password\"}) of a least-privilege user for the workers (made by `judge-admin migrate --worker-secret-arn`); without it the workers use secret_arn."
  type = object({
    host              = string
    port              = optional(number, 3306)
    name              = string
    secret_arn        = optional(string)
    security_group_id = optional(string)
    cidr_block        = optional(string)
    worker_secret_arn = optional(string)
  })
  default = null

  validation {
    condition     = var.create_database || var.existing_database != null
    error_message = "existing_database is required when create_database = false."
  }
  validation {
    # Without either, the workers get no egress rule to it and every submission times out on connect.
    condition     = var.create_database || var.existing_database == null || try(var.existing_database.security_group_id, null) != null || try(var.existing_database.cidr_block, null) != null
    error_message = "existing_database needs security_group_id or cidr_block: the workers' security group only reaches what it names."
  }
}

variable "database_credentials" {
  description = "Username and password put into a new secret for an existing database without secret_arn."
  type = object({
    username = string
    password = string
  })
  default   = null
  sensitive = true
}

variable "database_worker_user" {
  description = "Workers connect as a least-privilege user of their own (SELECT on problems and problem_packages, SELECT/UPDATE on submissions' status columns; store/grants.py) instead of the master user. A created database gets its secret (judge_worker, a generated password) and an RDS Proxy auth entry; an existing database uses existing_database.worker_secret_arn when given. The user is made by the backend's `judge-admin migrate --worker-secret-arn <database_worker_secret_arn>` (as the master user) before the workers can connect. False keeps the workers on the master secret."
  type        = bool
  default     = true
}

variable "database_tls_ca_file" {
  description = "Path, inside the worker functions (e.g. /opt/rds/global-bundle.pem from a layer of yours), of the RDS CA bundle: with it the workers verify an RDS instance's certificate when there is no proxy (DB_TLS_CA). Without it they still encrypt but do not verify (the RDS CAs are in no system trust store). Not used with the proxy, whose certificate is ACM's."
  type        = string
  default     = null
}

variable "database_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.small"
}

variable "database_engine_version" {
  description = "MySQL 8 engine version: 8.4 (the LTS line; 8.0's standard support ended in 2026)."
  type        = string
  default     = "8.4"
}

variable "database_multi_az" {
  description = "Multi-AZ standby."
  type        = bool
  default     = true
}

variable "database_deletion_protection" {
  description = "Deletion protection on the instance."
  type        = bool
  default     = true
}

variable "database_backup_retention_days" {
  description = "Automated backup retention in days."
  type        = number
  default     = 7
}

variable "database_skip_final_snapshot" {
  description = "Skip the final snapshot on delete."
  type        = bool
  default     = false
}

variable "create_database_proxy" {
  description = "RDS Proxy in front of the instance (the default): every warm worker environment holds a connection, and a db.t4g.small takes about 150; the proxy shares a small pool among them, and the workers reach it over TLS (its certificate is ACM's, in every trust store). About $22 a month for a 2-vCPU instance."
  type        = bool
  default     = true
}

variable "database_kms_key_id" {
  description = "KMS key ARN for storage and the managed password secret (the workers get kms:Decrypt on it); null uses AWS-managed keys."
  type        = string
  default     = null

  validation {
    condition     = var.database_kms_key_id == null || can(regex("^arn:aws[a-z-]*:kms:[^:]+:[0-9]{12}:key/", var.database_kms_key_id))
    error_message = "database_kms_key_id must be a KMS key ARN."
  }
}

# ---- submissions bucket ----------------------------------------------------------------------

variable "submissions_bucket_name" {
  description = "Bucket for submission sources; null generates <prefix>-submissions-<suffix>."
  type        = string
  default     = null
}

variable "bucket_versioning_enabled" {
  description = "Versioning on the submissions bucket."
  type        = bool
  default     = true
}

variable "submission_expiration_days" {
  description = "Delete submission sources after this many days; null keeps them."
  type        = number
  default     = null
}

variable "run_expiration_days" {
  description = "Delete the sources and stdin of runs on custom input (runs/ in the bucket, POST /v1/runs) this many days after upload; a worker reads them once, within minutes."
  type        = number
  default     = 3

  validation {
    condition     = var.run_expiration_days >= 1
    error_message = "run_expiration_days must be at least 1."
  }
}

variable "testdata_expiration_days" {
  description = "Delete staged large test inputs (testdata/ in the bucket) this many days after their last upload; workers upload them once per worker environment and presigned URLs live 2 minutes."
  type        = number
  default     = 3

  validation {
    condition     = var.testdata_expiration_days >= 1
    error_message = "testdata_expiration_days must be at least 1."
  }
}

variable "bucket_force_destroy" {
  description = "Let destroy remove a non-empty bucket (throwaway environments only)."
  type        = bool
  default     = false
}

variable "bucket_kms_key_arn" {
  description = "KMS key for SSE-KMS on the bucket; null uses SSE-S3."
  type        = string
  default     = null
}

variable "dns_firewall" {
  description = "Route 53 Resolver DNS Firewall on the VPC: every name outside AWS's, the VPC's, the webhook's, an existing database's and dns_allowed_domains gets NXDOMAIN, so DNS is no channel out of the sandboxes. It applies to the whole VPC (a bring-your-own VPC included): list there what else its other tenants resolve."
  type        = bool
  default     = true
}

variable "dns_allowed_domains" {
  description = "More domains the VPC may resolve under the DNS firewall (Route 53 wildcard syntax, e.g. \"*.example.com\")."
  type        = list(string)
  default     = []
}

variable "backend_role_principals" {
  description = "Services that may assume the backend role <prefix>-backend (with the backend policy attached); empty creates only the policy, for you to attach where the backend runs."
  type        = list(string)
  default     = ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"]
}

variable "account_concurrency_limit" {
  description = "The account's Lambda concurrent-executions quota in this region (Service Quotas L-B99A9384): the plan refuses reservations that would leave fewer than 100 unreserved, as Lambda would mid-apply. Null reads it from Service Quotas when anything is reserved (the deployer then needs servicequotas:GetServiceQuota)."
  type        = number
  default     = null
}

variable "existing_vpc_endpoints" {
  description = "Services a bring-your-own VPC already has an endpoint for, not to be created again: \"s3\" (a gateway on the private route tables; workers then reach S3 by the region's prefix list, and that endpoint's policy, not this module's, says which buckets) and any of sqs, secretsmanager, lambda (interface endpoints with private DNS; their security groups must admit worker_security_group_id on 443)."
  type        = set(string)
  default     = []
}

# ---- the backend on Lambda (backend_functions.tf) ----------------------------------------------

variable "api_enabled" {
  description = "Deploy the intake API: an API Gateway HTTP API (throttled, access-logged) in front of a Lambda function running build/functions/backend_api.zip in the VPC (modules/api). Off: run the backend yourself with backend_policy_arn (LocalStack community has no API Gateway v2, so `make run` keeps it off and serves the API with uvicorn)."
  type        = bool
  default     = false
}

variable "api_memory_mb" {
  description = "Memory of the API function in MB."
  type        = number
  default     = 512
}

variable "api_reserved_concurrency" {
  description = "Reserved concurrency of the API function (a bound on its database connections too); -1 leaves it unreserved."
  type        = number
  default     = -1
}

variable "api_throttling_rate_limit" {
  description = "Requests per second the API's $default stage lets through on average; above it API Gateway answers 429."
  type        = number
  default     = 50
}

variable "api_throttling_burst_limit" {
  description = "Requests the API's $default stage lets through at once above the rate."
  type        = number
  default     = 100
}

variable "api_environment" {
  description = "More environment for the API function, e.g. SUBMISSION_RATE_LIMIT, RUN_RATE_LIMIT, RUN_CPU_SECONDS (backend/quota.py, backend/runs.py). No secret values; the module's own settings win."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains(keys(var.api_environment), "DB_PASSWORD")
    error_message = "api_environment must not carry DB_PASSWORD: the API reads the database secret (DB_SECRET_ARN)."
  }
}

variable "consumer_lambda_enabled" {
  description = "Run the completion consumer as a Lambda function (build/functions/backend_consumer.zip) with event source mappings on the completion queue, the worker-failure queue and both DLQs (partial batch responses). Off: run `python -m backend.consumer` where the backend runs (both at once is harmless: each message is applied once by whichever receives it)."
  type        = bool
  default     = false
}

variable "consumer_timeout_seconds" {
  description = "Timeout of the consumer function; at most 30, the DLQs' visibility timeout (Lambda refuses a mapping on a queue whose visibility timeout is shorter than the function's)."
  type        = number
  default     = 30

  validation {
    condition     = var.consumer_timeout_seconds >= 3 && var.consumer_timeout_seconds <= 30
    error_message = "consumer_timeout_seconds must be between 3 and 30 (the DLQs' visibility timeout)."
  }
}

variable "consumer_reserved_concurrency" {
  description = "Reserved concurrency of the consumer function; -1 leaves it unreserved."
  type        = number
  default     = -1
}

variable "consumer_maximum_concurrency" {
  description = "Most concurrent consumer invocations each queue's event source mapping starts (2-1000)."
  type        = number
  default     = 5

  validation {
    condition     = var.consumer_maximum_concurrency >= 2 && var.consumer_maximum_concurrency <= 1000
    error_message = "consumer_maximum_concurrency must be between 2 and 1000 (the SQS event source limit)."
  }
}
