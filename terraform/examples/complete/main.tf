# A production deployment in one region: created VPC in three AZs chosen from the region's, RDS MySQL
# behind an RDS Proxy, alarms to an existing SNS topic, layers uploaded through an artifacts bucket.
# Planned against a mocked provider by `make tf-plan-example` (tests/example.tftest.hcl).

# The caller configures the provider; the module has none, so it can be called from any configuration.
provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "online-judge"
      Environment = "production"
      Owner       = "platform-team"
    }
  }
}

module "judge" {
  source = "../../"

  name_prefix = "judge"

  # Three AZs of this region that offer Lambda and every interface endpoint the functions use.
  availability_zone_count = 3
  vpc_cidr                = "10.40.0.0/16"

  # The intake API behind API Gateway (modules/api) and the completion consumer on its queues, both
  # as Lambda functions in this VPC; judge-admin runs from the platform team's ECS tasks there.
  api_enabled                = true
  api_throttling_rate_limit  = 100
  api_throttling_burst_limit = 200
  api_reserved_concurrency   = 50 # also bounds the API's connections through the RDS Proxy
  consumer_lambda_enabled    = true
  backend_security_group_ids = { admin = "sg-0a1b2c3d4e5f60718" }

  create_database_proxy          = true
  database_instance_class        = "db.t4g.medium"
  database_backup_retention_days = 14

  submissions_bucket_name    = "judge-submissions-${var.region}-example"
  submission_expiration_days = 365
  layer_upload_bucket        = "judge-artifacts-${var.region}-example"

  sqs_batch_size                      = 10
  sqs_maximum_batching_window_seconds = 1
  sqs_maximum_concurrency             = 10
  dispatcher_reserved_concurrency     = 20
  worker_reserved_concurrency         = 100
  sandbox_reserved_concurrency        = 100
  account_concurrency_limit           = 1000 # 20 + 3 x (100 + 100) + 50 (API) = 670 leaves 330: fits

  result_webhook_url        = "https://judge.example.com/internal/results"
  result_webhook_secret_arn = "arn:aws:secretsmanager:${var.region}:123456789012:secret:judge/result-webhook-AbCdEf"
  alarm_actions             = ["arn:aws:sns:${var.region}:123456789012:judge-alarms"]
}
