# The same root module applies to AWS and to LocalStack: only the endpoints and the provider's
# account checks change, through variables (see README "Applying to LocalStack").

locals {
  # Every service this configuration calls.
  aws_services = ["cloudwatch", "ec2", "iam", "lambda", "logs", "rds", "s3", "secretsmanager", "sqs", "sts"]
  aws_endpoints = merge(
    var.aws_endpoint_url == null ? {} : { for s in local.aws_services : s => var.aws_endpoint_url },
    var.aws_endpoints,
  )
}

provider "aws" {
  region                      = var.region
  skip_credentials_validation = var.aws_provider_options.skip_credentials_validation
  skip_requesting_account_id  = var.aws_provider_options.skip_requesting_account_id
  skip_metadata_api_check     = var.aws_provider_options.skip_metadata_api_check
  s3_use_path_style           = var.aws_provider_options.s3_use_path_style

  dynamic "endpoints" {
    for_each = length(local.aws_endpoints) == 0 ? [] : [local.aws_endpoints]
    content {
      cloudwatch     = lookup(endpoints.value, "cloudwatch", null)
      ec2            = lookup(endpoints.value, "ec2", null)
      iam            = lookup(endpoints.value, "iam", null)
      lambda         = lookup(endpoints.value, "lambda", null)
      logs           = lookup(endpoints.value, "logs", null)
      rds            = lookup(endpoints.value, "rds", null)
      s3             = lookup(endpoints.value, "s3", null)
      secretsmanager = lookup(endpoints.value, "secretsmanager", null)
      sqs            = lookup(endpoints.value, "sqs", null)
      sts            = lookup(endpoints.value, "sts", null)
    }
  }

  default_tags {
    tags = var.tags
  }
}
