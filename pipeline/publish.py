"""Where a worker's results go: the completion queue always; a signed webhook and/or a direct
database update when configured. The webhook's signature and delivery id are contracts/webhooks.py's."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from contracts.messages import CompletionMessage
from contracts.webhooks import DELIVERY_HEADER, delivery_headers

log = logging.getLogger(__name__)

# A dead webhook must not hold every result up: at most 3 x 2 s + 0.75 s of backoff (was 23.5 s).
WEBHOOK_ATTEMPTS, WEBHOOK_BACKOFF_S, WEBHOOK_TIMEOUT_S = 3, 0.25, 2


def post_webhook(url: str, body: bytes, secret: bytes, sleep: Callable[[float], None] = time.sleep) -> str:
    """POST with a timestamped HMAC signature and a delivery id; retry 5xx and network errors with
    exponential backoff, as the same delivery (same id and signature: a receiver that got it once
    refuses the rest as replays). Returns the delivery id."""
    headers = {"Content-Type": "application/json", **delivery_headers(body, secret)}
    for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
        try:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S):
                return headers[DELIVERY_HEADER]
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == WEBHOOK_ATTEMPTS:
                raise
        except (urllib.error.URLError, TimeoutError):
            if attempt == WEBHOOK_ATTEMPTS:
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
