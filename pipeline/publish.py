"""Where a worker's results go: the completion queue always; a signed webhook and/or a direct
database update when configured. The webhook's signature and delivery id are contracts/webhooks.py's."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from contracts.messages import CompletionMessage, ProgressMessage
from contracts.runs import RunCompletionMessage
from contracts.webhooks import DELIVERY_HEADER, delivery_headers

log = logging.getLogger(__name__)

# A dead webhook must not hold every result up: at most 3 x 2 s + 0.75 s of backoff (was 23.5 s).
WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF_S, WEBHOOK_TIMEOUT_S = 3, 0.25, 2
PROGRESS_INTERVAL_S = 1.0  # at most one progress message a second per submission


def post_webhook(url: str, body: bytes, secret: bytes, sleep: Callable[[float], None] = time.sleep,
                 attempts: int = WEBHOOK_ATTEMPTS) -> str:
    """POST with a timestamped HMAC signature and a delivery id; retry 5xx and network errors with
    exponential backoff, as the same delivery (same id and signature: a receiver that got it once
    refuses the rest as replays). Returns the delivery id."""
    headers = {"Content-Type": "application/json", **delivery_headers(body, secret)}
    for attempt in range(1, attempts + 1):
        try:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S):
                return headers[DELIVERY_HEADER]
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == attempts:
                raise
        except (urllib.error.URLError, TimeoutError):
            if attempt == attempts:
                raise
        sleep(WEBHOOK_BACKOFF_S * 2 ** (attempt - 1))


class ResultPublisher:
    def __init__(self, sqs_client, completion_queue_url: str, webhook_url: str | None = None,
                 webhook_secret: bytes | None = None, direct_update: Callable[[CompletionMessage], None] | None = None):
        self.sqs = sqs_client
        self.completion_queue_url = completion_queue_url
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.direct_update = direct_update

    def publish(self, message: CompletionMessage, notify: bool = True) -> None:
        """Send to the completion queue; with `notify`, also to the webhook and the direct update
        (progress messages such as JUDGING only go to the queue)."""
        body = message.to_json()
        self.sqs.send_message(QueueUrl=self.completion_queue_url, MessageBody=body)
        if not notify:
            return
        # The queue is the source of truth; the optional channels must not fail the judging.
        if self.webhook_url and self.webhook_secret:
            try:
                post_webhook(self.webhook_url, body.encode(), self.webhook_secret)
            except Exception:
                log.exception("webhook delivery failed for %s", message.submission_id)
        if self.direct_update:
            try:
                self.direct_update(message)
            except Exception:
                log.exception("direct database update failed for %s", message.submission_id)

    def publish_progress(self, message: ProgressMessage) -> None:
        """Progress: the queue, and the webhook once without retries (it is news, not a result: the
        next one or the verdict supersedes it, and judging must not wait on a dead receiver)."""
        body = message.to_json()
        self.sqs.send_message(QueueUrl=self.completion_queue_url, MessageBody=body)
        if self.webhook_url and self.webhook_secret:
            try:
                post_webhook(self.webhook_url, body.encode(), self.webhook_secret, attempts=1)
            except Exception as error:
                log.warning("progress webhook failed for %s: %s", message.submission_id, error)

    def publish_run(self, message: RunCompletionMessage) -> None:
        """A run's state: the completion queue only (the client asked and waits for it)."""
        self.sqs.send_message(QueueUrl=self.completion_queue_url, MessageBody=message.to_json())


class ProgressReporter:
    """JudgeOptions.tests_done for one submission: a ProgressMessage at most every
    PROGRESS_INTERVAL_S (the first at once), none for the last test (the verdict follows)."""

    def __init__(self, publisher: ResultPublisher, submission_id: str, attempt: int,
                 clock: Callable[[], float] = time.monotonic, interval_s: float = PROGRESS_INTERVAL_S):
        self.publisher, self.submission_id, self.attempt = publisher, submission_id, attempt
        self.clock, self.interval_s, self._last = clock, interval_s, None

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if done >= total or (self._last is not None and now - self._last < self.interval_s):
            return
        self._last = now
        try:
            self.publisher.publish_progress(ProgressMessage.now(self.submission_id, self.attempt, done, total))
        except Exception:  # progress must never fail the judging
            log.exception("could not publish progress for %s", self.submission_id)
