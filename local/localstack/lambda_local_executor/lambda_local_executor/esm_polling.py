"""SQS event source mappings that pick a message up as it arrives, as Lambda's pollers do.

Lambda's SQS pollers long-poll the queue without pause, so a message sent to an idle queue starts an
invocation within tens of milliseconds. LocalStack's poller instead short-polls (with a batching
window of 0), waits LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC (1 s) after each batch and, on an
empty queue, backs off from 1 s up to LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC
(10 s): up to 10 s of latency that Lambda does not have. local/stack.py sets both intervals to
tenths of a second; this makes the first empty-queue backoff start there too (LocalStack hard-codes
1 s), so the interval between polls never exceeds the configured cap.
"""

from __future__ import annotations


def poll_like_lambda() -> None:
    from localstack.services.lambda_.event_source_mapping import esm_worker

    if getattr(esm_worker.ExponentialBackoff, "capped_at_max_interval", False):
        return
    backoff = esm_worker.ExponentialBackoff

    def capped(*args, initial_interval: float = 0.5, max_interval: float = 60.0, **kwargs):
        return backoff(*args, initial_interval=min(initial_interval, max_interval), max_interval=max_interval, **kwargs)

    capped.capped_at_max_interval = True
    esm_worker.ExponentialBackoff = capped
