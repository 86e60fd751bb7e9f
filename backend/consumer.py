"""The completion consumer: drains the completion queue, its DLQ, the worker's failure destination and
the submission queue's DLQ into the submissions table; a run's messages (contracts/runs.py) into the
runs table, and progress into submission_details.

Each message is validated (contracts.messages), applied in its own transaction with the rules of
`contracts.messages.should_apply` (duplicates and older attempts change nothing), and deleted only after the
commit. A malformed message, or one for an unknown submission, is logged and deleted: it can never
succeed, and keeping it would block nothing but fill the DLQ with noise. A database error leaves the
message in the queue; SQS redelivers it after the visibility timeout. A completion the database
refuses for its values (a number out of a column's range: `repositories.refused_for_good`) would be
refused on every redelivery: it is kept as received in `unapplied_completions`, its submission ends
FAILED with the reason, and the message is deleted.

Dead letters: a submission message no worker could be invoked for, and a completion the consumer
could not apply in maxReceiveCount tries (its database was down that long), end their submissions:
the first FAILED unless a verdict came, the second applied once more as a final word (a JUDGED still
counts; a JUDGING says nothing final and is left to the sweeper, store/sweeper.py).

    python -m backend.consumer   # COMPLETION_QUEUE_URL, COMPLETION_DLQ_URL, WORKER_FAILURE_QUEUE_URL,
                                 # SUBMISSION_DLQ_URL, DB_*
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping

import pymysql

from contracts.errors import MessageError
from contracts.messages import CompletionMessage, FailureRecord, ProgressMessage
from contracts.runs import RunCompletionMessage, RunMessage, completion_queue_message, queue_message
from store import repositories as repo
from store.config import Database

log = logging.getLogger(__name__)


class Consumer:
    def __init__(self, db: Database, sqs, completion_queue_url: str, failure_queue_url: str | None = None,
                 *, dlq_url: str | None = None, completion_dlq_url: str | None = None, batch_size: int = 10,
                 wait_seconds: int = 5) -> None:
        self.db, self.sqs = db, sqs
        self.queues: list[tuple[str, Callable[[str], str]]] = [(completion_queue_url, self.handle_completion)]
        if failure_queue_url:
            self.queues.append((failure_queue_url, self.handle_failure_record))
        if dlq_url:
            self.queues.append((dlq_url, self.handle_dead_letter))
        if completion_dlq_url:
            self.queues.append((completion_dlq_url, self.handle_dead_completion))
        self.batch_size, self.wait_seconds = batch_size, wait_seconds

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, db: Database | None = None, sqs=None) -> Consumer:
        env = os.environ if env is None else env
        if not env.get("COMPLETION_QUEUE_URL"):
            raise RuntimeError("COMPLETION_QUEUE_URL is not set")
        if sqs is None:
            import boto3

            sqs = boto3.client("sqs")
        return cls(db or Database.from_env(env), sqs, env["COMPLETION_QUEUE_URL"],
                   env.get("WORKER_FAILURE_QUEUE_URL") or None, dlq_url=env.get("SUBMISSION_DLQ_URL") or None,
                   completion_dlq_url=env.get("COMPLETION_DLQ_URL") or None)

    # ---- one message ------------------------------------------------------------------------------

    def handle_completion(self, body: str) -> str:
        """Apply one completion queue body (a submission's completion or progress, or a run's state);
        returns the outcome (applied/stale/missing/malformed)."""
        try:
            msg = completion_queue_message(body)
        except MessageError as exc:
            log.error("dropping malformed completion message: %s; body: %.300s", exc, body)
            return "malformed"
        if isinstance(msg, RunCompletionMessage):
            return self._apply_run(msg.run_id, msg.attempt, msg.status, result=msg.result, reason=msg.reason)
        if isinstance(msg, ProgressMessage):
            with self.db.transaction() as cur:
                return str(repo.record_progress(cur, msg.submission_id, msg.attempt, msg.tests_done, msg.tests_total))
        try:
            return self._apply(msg.submission_id, msg.attempt, msg.status, msg.status, result=msg.result,
                               reason=msg.reason)
        except pymysql.err.MySQLError as error:
            if not repo.refused_for_good(error):
                raise  # transient: the message stays for redelivery
            return self._refused(msg, body, error)

    def _refused(self, msg: CompletionMessage, body: str, error: Exception) -> str:
        """Keep what the database would not take, as received, and end the submission with why."""
        detail = f"{type(error).__name__}: {error}"
        reason = f"the {msg.status} result of attempt {msg.attempt} could not be stored ({detail:.500})"
        with self.db.transaction() as cur:
            repo.record_unapplied_completion(cur, msg.submission_id, body, detail)
            outcome = repo.apply_status(cur, msg.submission_id, msg.attempt, "FAILED", reason=reason)
        log.error("submission %s: %s; kept as received in unapplied_completions", msg.submission_id, reason)
        return "refused" if outcome is repo.Applied.APPLIED else str(outcome)

    def handle_dead_completion(self, body: str) -> str:
        """A completion dead-lettered after maxReceiveCount failed tries: a JUDGED or FAILED one is applied
        once more (the database may be back; a refusal ends the row FAILED as above); a JUDGING one is
        dropped, since it says nothing final (the sweeper ends a row that stays unfinished)."""
        try:
            msg = CompletionMessage.from_json(body)
        except MessageError as exc:
            log.error("dropping malformed dead completion: %s; body: %.300s", exc, body)
            return "malformed"
        if msg.status == "JUDGING":
            log.warning("submission %s: dropped a dead-lettered JUDGING of attempt %d", msg.submission_id, msg.attempt)
            return "stale"
        return self.handle_completion(body)

    def handle_failure_record(self, body: str) -> str:
        """Turn a Lambda on-failure record for a worker invocation into a FAILED submission."""
        try:
            record = FailureRecord.from_json(body)
        except MessageError as exc:
            log.error("dropping malformed failure record: %s; body: %.300s", exc, body)
            return "malformed"
        if isinstance(record.submission, RunMessage):
            return self._apply_run(record.submission.run_id, record.attempt, "FAILED", reason=record.reason)
        return self._apply(record.submission.submission_id, record.attempt, "FAILED",
                           f"FAILED ({record.reason})", reason=record.reason)

    def handle_dead_letter(self, body: str) -> str:
        """A submission message the dispatcher could not hand to a worker in maxReceiveCount tries: an
        unfinished submission ends FAILED; a verdict that did arrive stays."""
        try:
            msg = queue_message(body)
        except MessageError as exc:
            log.error("dropping malformed dead letter: %s; body: %.300s", exc, body)
            return "malformed"
        if isinstance(msg, RunMessage):
            return self._apply_run(msg.run_id, 0, "FAILED", reason="the run was dead-lettered: no worker could be invoked")
        reason = "the submission message was dead-lettered: no worker could be invoked for it after repeated tries"
        with self.db.transaction() as cur:
            outcome = repo.fail_if_unfinished(cur, msg.submission_id, reason)
        self._log_outcome(outcome, msg.submission_id, msg.attempt, "FAILED (dead letter)")
        return str(outcome)

    def _apply(self, sid: str, attempt: int, status: str, what: str, *, result: dict | None = None,
               reason: str | None = None) -> str:
        """One status change in its own transaction, under the rules of `should_apply`."""
        with self.db.transaction() as cur:
            outcome = repo.apply_status(cur, sid, attempt, status, result=result, reason=reason)
        self._log_outcome(outcome, sid, attempt, what)
        return str(outcome)

    def _apply_run(self, rid: str, attempt: int, status: str, *, result: dict | None = None,
                   reason: str | None = None) -> str:
        with self.db.transaction() as cur:
            outcome = repo.apply_run_status(cur, rid, attempt, status, result=result, reason=reason)
        self._log_outcome(outcome, f"run {rid}", attempt, status)
        return str(outcome)

    @staticmethod
    def _log_outcome(outcome: repo.Applied, sid: str, attempt: int, what: str) -> None:
        if outcome is repo.Applied.MISSING:
            log.error("dropping result for unknown submission %s (attempt %d)", sid, attempt)
        elif outcome is repo.Applied.STALE:
            log.info("submission %s: ignored %s of attempt %d (duplicate or superseded)", sid, what, attempt)
        else:
            log.info("submission %s: %s (attempt %d)", sid, what, attempt)

    # ---- queues -----------------------------------------------------------------------------------

    def _drain_queue(self, queue_url: str, handle: Callable[[str], str], wait_seconds: int) -> Counter:
        stats: Counter = Counter()
        resp = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=self.batch_size,
                                        WaitTimeSeconds=wait_seconds)
        done = []
        for message in resp.get("Messages", []):
            try:
                outcome = handle(message.get("Body", ""))
            except Exception:
                # Most likely the database: keep the message, SQS redelivers it later.
                log.exception("could not process message %s; it will be retried", message.get("MessageId"))
                stats["error"] += 1
                continue
            stats[outcome] += 1
            done.append({"Id": str(len(done)), "ReceiptHandle": message["ReceiptHandle"]})
        if done:
            resp = self.sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)
            for failed in resp.get("Failed", []):
                log.warning("could not delete message %s: %s (it will be seen again, harmlessly)",
                            failed.get("Id"), failed.get("Message"))
        return stats

    def drain_once(self, wait_seconds: int = 0) -> Counter:
        """One receive (up to batch_size messages) from each queue; returns the outcome counts."""
        stats: Counter = Counter()
        for queue_url, handle in self.queues:
            stats += self._drain_queue(queue_url, handle, wait_seconds)
        return stats

    def run_forever(self, stop_event: threading.Event) -> None:
        """Long-poll every queue (one thread each) until stop_event is set; returns within wait_seconds."""

        def loop(queue_url: str, handle: Callable[[str], str]) -> None:
            while not stop_event.is_set():
                try:
                    self._drain_queue(queue_url, handle, self.wait_seconds)
                except Exception:
                    log.exception("receiving from %s failed; retrying", queue_url)
                    stop_event.wait(1.0)  # the queue or network is down: do not spin

        threads = [threading.Thread(target=loop, args=q, name=f"consumer-{i}", daemon=True)
                   for i, q in enumerate(self.queues)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    consumer = Consumer.from_env()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("consuming %s", ", ".join(q for q, _ in consumer.queues))
    consumer.run_forever(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
