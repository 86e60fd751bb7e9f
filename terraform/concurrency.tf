# Reserved concurrency must leave 100 unreserved executions in the account, or Lambda refuses it in
# the middle of an apply. New accounts have reduced quotas, so nothing is reserved by default; with
# reservations, the plan checks them against the quota (account_concurrency_limit, or Service Quotas).

locals {
  reserved_concurrency = (max(var.dispatcher_reserved_concurrency, 0) +
    length(local.workers) * (max(var.worker_reserved_concurrency, 0) + max(var.sandbox_reserved_concurrency, 0)) +
    (var.api_enabled ? max(var.api_reserved_concurrency, 0) : 0) +
  (var.consumer_lambda_enabled ? max(var.consumer_reserved_concurrency, 0) : 0))
  read_concurrency_quota = var.account_concurrency_limit == null && local.reserved_concurrency > 0
  account_concurrency    = coalesce(var.account_concurrency_limit, try(data.aws_servicequotas_service_quota.lambda_concurrency[0].value, 0))
}

data "aws_servicequotas_service_quota" "lambda_concurrency" {
  count        = local.read_concurrency_quota ? 1 : 0
  service_code = "lambda"
  quota_code   = "L-B99A9384" # Concurrent executions
}

resource "terraform_data" "concurrency_budget" {
  input = local.reserved_concurrency

  lifecycle {
    precondition {
      condition     = local.reserved_concurrency == 0 || local.reserved_concurrency <= local.account_concurrency - 100
      error_message = "The reservations add up to ${local.reserved_concurrency} concurrent executions; the account's quota of ${local.account_concurrency} leaves fewer than the 100 Lambda keeps unreserved. Lower the *_reserved_concurrency variables or raise the quota (Service Quotas, L-B99A9384)."
    }
  }
}
