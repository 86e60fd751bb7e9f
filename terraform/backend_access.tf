# What the backend (intake API, completion consumer) may do, as a managed policy any compute can
# attach, and a role with it for the platform team's service (ECS task, Lambda, EC2) to assume.

locals {
  backend_statements = concat([
    {
      Sid      = "QueueSubmissions"
      Effect   = "Allow"
      Action   = ["sqs:SendMessage"]
      Resource = [module.queues.queues["submission"].arn]
    },
    {
      # submissions/<id>/<source>; runs/<id>/<source> and stdin.txt (POST /v1/runs)
      Sid      = "StoreSources"
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = ["${module.bucket.bucket_arn}/submissions/*", "${module.bucket.bucket_arn}/runs/*"]
    },
    {
      # judge-admin import-problem / move-packages: packages/<sha256>.tar.gz, written once (a HEAD,
      # authorized by GetObject, tells whether the archive is there already).
      Sid      = "StoreProblemPackages"
      Effect   = "Allow"
      Action   = ["s3:PutObject", "s3:GetObject"]
      Resource = ["${module.bucket.bucket_arn}/${local.package_prefix}*"]
    },
    {
      # The consumer drains results, the workers' failure records and both DLQs.
      Sid    = "DrainResults"
      Effect = "Allow"
      Action = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
      Resource = [
        module.queues.queues["completion"].arn,
        module.queues.queues["worker-failure"].arn,
        module.queues.dead_letter_queues["submission"].arn,
        module.queues.dead_letter_queues["completion"].arn,
      ]
    },
    {
      # The master secret (the backend and its migrations), and the workers' user's: the migration
      # reads it to create that user (judge-admin migrate --worker-secret-arn).
      Sid      = "ReadDatabaseSecret"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = distinct(compact([module.database.secret_arn, module.database.worker_user_secret_arn]))
    },
    ], length(local.worker_kms_keys) == 0 ? [] : [{
      Sid      = "UseKmsKeys"
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = local.worker_kms_keys
  }])
}

resource "aws_iam_policy" "backend" {
  name        = "${var.name_prefix}-backend"
  description = "The judge's backend: queue submissions, store sources, drain results, read the database secret."
  policy      = jsonencode({ Version = "2012-10-17", Statement = local.backend_statements })
}

resource "aws_iam_role" "backend" {
  count = length(var.backend_role_principals) > 0 ? 1 : 0

  name = "${var.name_prefix}-backend"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = var.backend_role_principals } }]
  })
}

resource "aws_iam_role_policy_attachment" "backend" {
  count      = length(var.backend_role_principals) > 0 ? 1 : 0
  role       = aws_iam_role.backend[0].name
  policy_arn = aws_iam_policy.backend.arn
}
