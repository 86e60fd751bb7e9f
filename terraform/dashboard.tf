# One screen for the judge: queue depth, submit-to-result time, the verdict mix and the cost of a
# submission, from the queues' metrics and the workers' own (pipeline/metrics.py, namespace Judge).

locals {
  languages = sort(distinct(flatten([for w in values(local.workers) : w.languages])))
  # $ per GB-second of x86_64 Lambda compute (us-east-1 list price) and the memory each pays for.
  gb_second_usd = 0.0000166667
  cost_lines = flatten([for key, w in local.workers : [
    for l in w.languages : { language = l, sandbox_gb = var.sandbox_memory_mb[key] / 1024 }
  ]])
  queue_widget = {
    type = "metric", width = 12, height = 6
    properties = {
      title   = "Queue depth", region = local.region, stat = "Maximum", period = 60
      metrics = [for q in ["submission", "completion", "worker-failure"] : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", module.queues.queues[q].name]]
    }
  }
  latency_widget = {
    type = "metric", width = 12, height = 6
    properties = {
      title   = "Judging time per submission (p50, p95), seconds", region = local.region, period = 300
      metrics = [for pair in setproduct(local.languages, ["p50", "p95"]) : ["Judge", "JudgeSeconds", "Language", pair[0], { stat = pair[1], label = "${pair[0]} ${pair[1]}" }]]
    }
  }
  verdict_widget = {
    type = "metric", width = 12, height = 6
    properties = {
      title = "Verdicts", region = local.region, stat = "Sum", period = 300, view = "bar"
      metrics = [for pair in setproduct(local.languages, ["ACCEPTED", "WRONG_ANSWER", "TIME_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED", "RUNTIME_ERROR", "COMPILATION_ERROR", "OUTPUT_LIMIT_EXCEEDED", "JUDGE_ERROR"]) :
      ["Judge", "Verdicts", "Language", pair[0], "Verdict", pair[1]]]
    }
  }
  # Cost of one submission: (worker GB-s + sandbox seconds x its memory) x the GB-second price.
  cost_widget = {
    type = "metric", width = 12, height = 6
    properties = {
      title = "Compute cost per 1,000 submissions (USD, list price)", region = local.region, period = 3600, stat = "Sum"
      # Per language: three hidden series (ids w, s, n + index) and the expression over them.
      metrics = concat(
        [for i, l in local.cost_lines : ["Judge", "WorkerGBSeconds", "Language", l.language, { id = "w${i}", visible = false }]],
        [for i, l in local.cost_lines : ["Judge", "SandboxSeconds", "Language", l.language, { id = "s${i}", visible = false }]],
        [for i, l in local.cost_lines : ["Judge", "Submissions", "Language", l.language, { id = "n${i}", visible = false }]],
        [for i, l in local.cost_lines : [{ expression = "1000 * (w${i} + s${i} * ${l.sandbox_gb}) * ${local.gb_second_usd} / n${i}", label = l.language, id = "c${i}" }]],
      )
    }
  }
}

resource "aws_cloudwatch_dashboard" "judge" {
  dashboard_name = "${var.name_prefix}-judge"
  dashboard_body = jsonencode({ widgets = [local.queue_widget, local.latency_widget, local.verdict_widget, local.cost_widget] })
}
