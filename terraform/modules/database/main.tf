# The judge's MySQL: an RDS MySQL 8 instance (optionally behind an RDS Proxy), or an existing
# database (another RDS, or the local MariaDB) described by host, port, name and a secret.

locals {
  port = var.create ? 3306 : var.existing.port

  created_secret_arn  = try(aws_db_instance.this[0].master_user_secret[0].secret_arn, null)
  existing_secret_arn = var.create ? null : try(coalesce(var.existing.secret_arn, aws_secretsmanager_secret.existing[0].arn), null)
  secret_arn          = var.create ? local.created_secret_arn : local.existing_secret_arn

  host = var.create ? (var.create_proxy ? aws_db_proxy.this[0].endpoint : aws_db_instance.this[0].address) : var.existing.host
  name = var.create ? var.db_name : var.existing.name

  # The workers' own user (store/grants.py): a secret made here for a created instance, the given one
  # for an existing database; without either the workers use the master secret, as before.
  create_worker_secret = var.create && var.worker_user
  worker_user_secret_arn = (local.create_worker_secret ? aws_secretsmanager_secret.worker[0].arn :
  !var.create && var.worker_user ? try(var.existing.worker_secret_arn, null) : null)
  worker_secret_arn = coalesce(local.worker_user_secret_arn, local.secret_arn)

  # Connections straight to an instance are TLS-only; through the proxy, the proxy requires TLS.
  require_secure_transport = var.create && !var.create_proxy
}

resource "terraform_data" "inputs" {
  lifecycle {
    precondition {
      condition     = var.create || var.existing != null
      error_message = "Set `existing` (host, port, name, secret_arn or credentials) when create = false."
    }
    precondition {
      condition     = var.create || try(var.existing.secret_arn != null, false) || var.credentials != null
      error_message = "An existing database needs existing.secret_arn or credentials to put in a new secret."
    }
    precondition {
      condition     = !var.create || length(var.subnet_ids) >= 2
      error_message = "An RDS instance needs subnet_ids in at least two availability zones."
    }
  }
}

# ---- existing database: only a secret, when none is given ------------------------------------

resource "aws_secretsmanager_secret" "existing" {
  #checkov:skip=CKV2_AWS_57:credentials of a database this module does not manage; its owner rotates them
  #checkov:skip=CKV_AWS_149:the AWS-managed Secrets Manager key is enough for an externally managed (often local) database
  count = !var.create && try(var.existing.secret_arn == null, false) ? 1 : 0

  name_prefix             = "${var.name_prefix}-db-"
  description             = "Credentials of the existing judge database"
  recovery_window_in_days = 0 # replaced together with the database it describes
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "existing" {
  count = length(aws_secretsmanager_secret.existing)

  secret_id = aws_secretsmanager_secret.existing[0].id
  secret_string = jsonencode({
    username = var.credentials.username
    password = var.credentials.password
    host     = var.existing.host
    port     = var.existing.port
    dbname   = var.existing.name
  })
}

# ---- created database ---------------------------------------------------------------------------

resource "aws_security_group" "this" {
  count       = var.create ? 1 : 0
  name        = "${var.name_prefix}-database"
  description = "Judge database: MySQL from the workers and the backend only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name_prefix}-database" })
}

resource "aws_vpc_security_group_ingress_rule" "from_security_groups" {
  for_each = var.create ? var.allowed_security_groups : {}

  security_group_id            = aws_security_group.this[0].id
  description                  = "MySQL from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_ingress_rule" "from_cidrs" {
  for_each = var.create ? toset(var.allowed_cidr_blocks) : toset([])

  security_group_id = aws_security_group.this[0].id
  description       = "MySQL from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = local.port
  to_port           = local.port
  cidr_ipv4         = each.value
}

# The proxy and the instance share the group: the proxy reaches the instance through these two rules.
resource "aws_vpc_security_group_ingress_rule" "proxy_to_instance" {
  count = var.create && var.create_proxy ? 1 : 0

  security_group_id            = aws_security_group.this[0].id
  description                  = "MySQL from the RDS Proxy"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = aws_security_group.this[0].id
}

resource "aws_vpc_security_group_egress_rule" "proxy_to_instance" {
  count = var.create && var.create_proxy ? 1 : 0

  security_group_id            = aws_security_group.this[0].id
  description                  = "RDS Proxy to the instance"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = aws_security_group.this[0].id
}

resource "aws_db_subnet_group" "this" {
  count      = var.create ? 1 : 0
  name       = "${var.name_prefix}-database"
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

# The exported logs, made here with a retention before RDS would make them without one; and the
# parameters that fill the slow-query log (off in RDS's default parameter group).
locals {
  log_exports      = ["error", "slowquery"]
  parameter_family = "mysql${join(".", slice(split(".", var.engine_version), 0, 2))}"
}

resource "aws_cloudwatch_log_group" "exports" {
  #checkov:skip=CKV_AWS_338:database logs are operational; retention is the log_retention_days variable
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default
  for_each = var.create ? toset(local.log_exports) : toset([])

  name              = "/aws/rds/instance/${var.name_prefix}-database/${each.value}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_db_parameter_group" "this" {
  count = var.create ? 1 : 0

  name_prefix = "${var.name_prefix}-database-"
  family      = local.parameter_family
  description = "The judge's MySQL: slow queries (over long_query_time) logged for the slowquery export; TLS-only without the proxy"

  parameter {
    name  = "slow_query_log"
    value = "1"
  }
  parameter {
    name  = "long_query_time"
    value = tostring(var.long_query_time_seconds)
  }
  parameter {
    name  = "log_output"
    value = "FILE"
  }
  # Without the proxy the clients reach the instance itself: refuse every connection without TLS.
  dynamic "parameter" {
    for_each = local.require_secure_transport ? ["1"] : []
    content {
      name  = "require_secure_transport"
      value = parameter.value
    }
  }

  lifecycle {
    create_before_destroy = true
  }
  tags = var.tags
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_118:enhanced monitoring needs its own role; CloudWatch metrics and Performance Insights (variable) cover the judge's load
  #checkov:skip=CKV_AWS_353:Performance Insights is not offered on the smallest classes; performance_insights_enabled turns it on
  #checkov:skip=CKV_AWS_354:Performance Insights is off by default; when on, it uses the instance's KMS key setting
  #checkov:skip=CKV2_AWS_30:the general query log would record every judged submission's queries; slow and error logs are exported
  count = var.create ? 1 : 0

  identifier                          = "${var.name_prefix}-database"
  engine                              = "mysql"
  engine_version                      = var.engine_version
  instance_class                      = var.instance_class
  allocated_storage                   = var.allocated_storage
  max_allocated_storage               = var.max_allocated_storage
  storage_type                        = "gp3"
  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_id
  db_name                             = var.db_name
  username                            = var.master_username
  manage_master_user_password         = true # RDS generates, stores and rotates it in Secrets Manager
  master_user_secret_kms_key_id       = var.kms_key_id
  iam_database_authentication_enabled = true
  db_subnet_group_name                = aws_db_subnet_group.this[0].name
  vpc_security_group_ids              = [aws_security_group.this[0].id]
  publicly_accessible                 = false
  multi_az                            = var.multi_az
  backup_retention_period             = var.backup_retention_period
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = var.skip_final_snapshot
  final_snapshot_identifier           = var.skip_final_snapshot ? null : "${var.name_prefix}-database-final"
  copy_tags_to_snapshot               = true
  auto_minor_version_upgrade          = true
  performance_insights_enabled        = var.performance_insights_enabled
  enabled_cloudwatch_logs_exports     = local.log_exports
  parameter_group_name                = aws_db_parameter_group.this[0].name
  tags                                = var.tags

  depends_on = [terraform_data.inputs, aws_cloudwatch_log_group.exports]
}

# ---- the workers' user ----------------------------------------------------------------------------
# Its credentials only: the user itself, with exactly the workers' grants, is made by the backend's
# migration (`judge-admin migrate --worker-secret-arn`, run as the master user), which reads this secret.
# The password is generated once; to change it, put a new one in the secret and migrate again.

data "aws_secretsmanager_random_password" "worker" {
  count = local.create_worker_secret ? 1 : 0

  password_length     = 40
  exclude_punctuation = true # no quoting trouble in a DSN or a shell
}

resource "aws_secretsmanager_secret" "worker" {
  #checkov:skip=CKV2_AWS_57:the password must change in the database too, which the backend's migration does; rotate by writing a new one and migrating
  #checkov:skip=CKV_AWS_149:kms_key_id (database_kms_key_id) chooses a customer-managed key, as for the master secret; null is the AWS-managed one
  count = local.create_worker_secret ? 1 : 0

  name_prefix = "${var.name_prefix}-db-worker-"
  description = "The judge workers' database user (least privilege; created by judge-admin migrate)"
  kms_key_id  = var.kms_key_id # the master secret's key: null is the AWS-managed one
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "worker" {
  count = local.create_worker_secret ? 1 : 0

  secret_id = aws_secretsmanager_secret.worker[0].id
  secret_string = jsonencode({
    username = var.worker_username
    password = data.aws_secretsmanager_random_password.worker[0].random_password
  })

  lifecycle {
    ignore_changes = [secret_string] # the data source draws a new password on every plan
  }
}

# ---- optional RDS Proxy ------------------------------------------------------------------------

resource "aws_iam_role" "proxy" {
  count = var.create && var.create_proxy ? 1 : 0
  name  = "${var.name_prefix}-database-proxy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "rds.amazonaws.com" }
    }]
  })
  tags = var.tags
}

locals {
  # The users the proxy logs in as: the master (backend) and the workers' own.
  proxy_secret_arns = compact([local.created_secret_arn, local.create_worker_secret ? aws_secretsmanager_secret.worker[0].arn : null])
}

resource "aws_iam_role_policy" "proxy" {
  count = var.create && var.create_proxy ? 1 : 0
  name  = "read-database-secrets"
  role  = aws_iam_role.proxy[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([{
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = local.proxy_secret_arns
      }], var.kms_key_id == null ? [] : [{
      # A customer-managed key encrypts both secrets: the proxy decrypts them through Secrets Manager only.
      Effect    = "Allow"
      Action    = ["kms:Decrypt"]
      Resource  = [var.kms_key_id]
      Condition = { StringLike = { "kms:ViaService" = "secretsmanager.*.amazonaws.com" } }
    }])
  })
}

resource "aws_db_proxy" "this" {
  count = var.create && var.create_proxy ? 1 : 0

  name                   = "${var.name_prefix}-database"
  engine_family          = "MYSQL"
  role_arn               = aws_iam_role.proxy[0].arn
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = [aws_security_group.this[0].id]
  require_tls            = var.proxy_require_tls
  idle_client_timeout    = 900

  dynamic "auth" {
    for_each = local.proxy_secret_arns
    content {
      auth_scheme = "SECRETS"
      description = auth.key == 0 ? "master user (backend, migrations)" : "workers' user"
      iam_auth    = "DISABLED"
      secret_arn  = auth.value
    }
  }

  tags = var.tags
}

resource "aws_db_proxy_default_target_group" "this" {
  count         = var.create && var.create_proxy ? 1 : 0
  db_proxy_name = aws_db_proxy.this[0].name

  connection_pool_config {
    max_connections_percent = 90
  }
}

resource "aws_db_proxy_target" "this" {
  count                  = var.create && var.create_proxy ? 1 : 0
  db_proxy_name          = aws_db_proxy.this[0].name
  target_group_name      = aws_db_proxy_default_target_group.this[0].name
  db_instance_identifier = aws_db_instance.this[0].identifier
}
