"""What each judged submission costs and how long it took, as CloudWatch metrics (Powertools EMF:
one JSON line on stdout, no API call) for the dashboard in terraform/dashboard.tf.

Namespace `Judge`, dimension `Language`: `Submissions` (count), `JudgeSeconds` (the worker's time
from event to published result), `SandboxSeconds` (its sandbox calls, summed: what the sandbox
function bills), `WorkerGBSeconds` (the worker's time x its memory). Dimensions `Language` and
`Verdict`: `Verdicts` (count), for the verdict mix.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Judge"


def record_judged(language: str, verdict: str, judge_s: float, sandbox_s: float) -> None:
    memory_gb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "0") or 0) / 1024
    metrics = Metrics(namespace=NAMESPACE, service="worker")
    metrics.add_dimension(name="Language", value=language)
    metrics.add_metric(name="Submissions", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="JudgeSeconds", unit=MetricUnit.Seconds, value=round(judge_s, 3))
    metrics.add_metric(name="SandboxSeconds", unit=MetricUnit.Seconds, value=round(sandbox_s, 3))
    metrics.add_metric(name="WorkerGBSeconds", unit=MetricUnit.Count, value=round(judge_s * memory_gb, 3))
    metrics.flush_metrics()
    with single_metric(name="Verdicts", unit=MetricUnit.Count, value=1, namespace=NAMESPACE,
                       default_dimensions={"Language": language, "Verdict": verdict}):
        pass
