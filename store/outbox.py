"""The outbox relay: sends the submission messages intake committed with their rows, and stamps them sent.

Intake writes the row and its message in one transaction (`repositories.add_to_outbox`), then asks the
relay to send that one message at once; whatever that misses (SQS refused, the process died after the
commit) a later pass sends: a thread in the API process, and the scheduled `outbox_relay` function.

Safe with any number of relays: each pass locks the rows it sends (SKIP LOCKED), so two relays never
send a row together. A relay that dies after SQS took a message but before its commit leaves the row
pending, and the next pass sends it again: a message may arrive twice, and every hop treats a
duplicate as a no-op (`contracts.messages.should_apply`).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from store import repositories as repo
from store.config import Database

log = logging.getLogger(__name__)

SQS_BATCH = 10  # SendMessageBatch takes at most 10 entries
KEEP_SENT_DAYS = 7  # sent messages are kept this long, to look into, then pruned by the relay


@dataclass(frozen=True)
class RelayPass:
    sent: int = 0
    failed: int = 0


class OutboxRelay:
    def __init__(self, db: Database, sqs, queue_url: str, *, batch_size: int = SQS_BATCH):
        self.db, self.sqs, self.queue_url = db, sqs, queue_url
        self.batch_size = min(batch_size, SQS_BATCH)

    def send(self, outbox_id: int) -> bool:
        """Send one message right after its commit; False (logged, left pending) when it could not be."""
        try:
            return self._send_batch(outbox_id).sent == 1
        except Exception as error:  # the database or SQS: a later pass sends it
            log.warning("outbox message %s not sent now (%s); the relay will retry it", outbox_id, error)
            return False

    def relay_pending(self, max_messages: int = 500) -> RelayPass:
        """Send pending messages, oldest first, in batches, until none is left or `max_messages`."""
        sent = failed = 0
        while sent + failed < max_messages:
            batch = self._send_batch(None)
            sent, failed = sent + batch.sent, failed + batch.failed
            if batch.sent + batch.failed < self.batch_size or batch.sent == 0:
                break  # drained, or SQS refuses everything: try again next pass
        with self.db.transaction() as cur:
            pruned = repo.prune_sent_outbox(cur, KEEP_SENT_DAYS)
        if sent or failed or pruned:
            log.info("outbox relay: %d sent, %d not sent, %d old ones pruned", sent, failed, pruned)
        return RelayPass(sent, failed)

    def run_forever(self, stop: threading.Event, interval_s: float = 5.0) -> None:
        """A pass every `interval_s` until `stop` is set (the API process's background relay)."""
        while not stop.wait(interval_s):
            try:
                self.relay_pending()
            except Exception:
                log.exception("outbox relay pass failed; retrying in %.0f s", interval_s)

    def _send_batch(self, outbox_id: int | None) -> RelayPass:
        with self.db.transaction() as cur:
            messages = repo.claim_outbox(cur, self.batch_size, outbox_id)
            if not messages:
                return RelayPass()
            failures = self._send(messages)
            repo.mark_outbox_sent(cur, [m.id for m in messages if m.id not in failures])
            for message_id, error in failures.items():
                repo.mark_outbox_failed(cur, message_id, error)
        return RelayPass(len(messages) - len(failures), len(failures))

    def _send(self, messages: list[repo.OutboxMessage]) -> dict[int, str]:
        """SendMessageBatch; the ids SQS did not take, with why."""
        entries = []
        for m in messages:
            entry = {"Id": str(m.id), "MessageBody": m.body}
            if self.queue_url.endswith(".fifo"):
                entry.update(MessageGroupId=m.submission_id, MessageDeduplicationId=f"{m.submission_id}-{m.purpose}")
            entries.append(entry)
        try:
            response = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        except Exception as error:
            return {m.id: f"{type(error).__name__}: {error}" for m in messages}
        return {int(f["Id"]): f"{f.get('Code')}: {f.get('Message')}" for f in response.get("Failed", [])}
