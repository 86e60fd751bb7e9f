"""The sweeper: no submission stays QUEUED or JUDGING for ever.

A submission unfinished for longer than its worst case (`contracts.budget.stuck_after_s`: dispatch,
then every invocation Lambda makes at the problem's worst-case judging time, capped by the worker
timeout) lost its message or its worker somewhere no signal came back from. It is sent once more,
through the outbox (a 'resend' row: at most one per submission, however many sweepers run), its runs
numbered after the attempts it had (`SubmissionMessage.prior_attempts`), so their results count.
Still unfinished that long after the re-send, it ends FAILED with the reason; a late verdict of that
attempt still replaces it (`contracts.messages.should_apply`).

Runs as the scheduled `sweeper` function, and as a thread in `make run` (local/devstack.py).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from contracts.budget import (
    ASYNC_RETRY_DELAYS_S,
    DEFAULT_WORKER_TIMEOUT_S,
    DISPATCH_MARGIN_S,
    WORST_CASE_KEY,
    stuck_after_s,
)
from contracts.errors import MessageError
from contracts.messages import SubmissionMessage
from store import repositories as repo
from store.config import Database
from store.outbox import OutboxRelay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepPolicy:
    """The deployment's numbers that bound a judging (Terraform passes the worker's to the function)."""

    worker_timeout_s: float = DEFAULT_WORKER_TIMEOUT_S
    worker_retries: int = 2
    retry_delays_s: float = ASYNC_RETRY_DELAYS_S
    dispatch_margin_s: float = DISPATCH_MARGIN_S

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SweepPolicy:
        """WORKER_TIMEOUT_SECONDS and WORKER_MAX_RETRY_ATTEMPTS, as Terraform gives the workers."""
        env = os.environ if env is None else env
        return cls(worker_timeout_s=float(env.get("WORKER_TIMEOUT_SECONDS") or DEFAULT_WORKER_TIMEOUT_S),
                   worker_retries=int(env.get("WORKER_MAX_RETRY_ATTEMPTS") or 2))

    def stuck_after_s(self, limits: dict | None) -> float:
        worst = (limits or {}).get(WORST_CASE_KEY)
        worst = float(worst) if isinstance(worst, (int, float)) and not isinstance(worst, bool) else None
        return stuck_after_s(worst, self.worker_timeout_s, self.worker_retries, self.retry_delays_s,
                             self.dispatch_margin_s)


class Sweeper:
    def __init__(self, db: Database, relay: OutboxRelay, policy: SweepPolicy = SweepPolicy()):
        self.db, self.relay, self.policy = db, relay, policy

    def sweep_once(self, limit: int = 500) -> Counter:
        """One pass: re-send or end every stuck submission; the counts of what it did."""
        stats: Counter = Counter()
        with self.db.transaction() as cur:
            candidates = repo.unfinished_submissions(cur, self.policy.stuck_after_s({WORST_CASE_KEY: 0}), limit)
        for row in candidates:
            budget_s = self.policy.stuck_after_s(row["limits"])
            if row["idle_s"] < budget_s:
                continue
            stats[self._sweep(row, budget_s)] += 1
        if stats:
            log.info("sweeper: %s", dict(stats))
        return stats

    def run_forever(self, stop: threading.Event, interval_s: float = 60.0) -> None:
        while not stop.wait(interval_s):
            try:
                self.sweep_once()
            except Exception:
                log.exception("sweep failed; trying again in %.0f s", interval_s)

    def _sweep(self, row: dict, budget_s: float) -> str:
        sid, idle = row["id"], row["idle_s"]
        if row["resend_id"] is not None:
            return self._fail(sid, f"no result {idle:.0f} s after it was sent again ({row['status']} at attempt "
                                   f"{row['attempt']}; the worst case is {budget_s:.0f} s)")
        try:
            message = SubmissionMessage(sid, row["problem_id"], row["user_id"], row["language"], row["s3_code_path"])
        except MessageError as error:
            return self._fail(sid, f"stuck {row['status']} and cannot be sent again: {error}")
        with self.db.transaction() as cur:
            current = repo.lock_unfinished(cur, sid)
            if current is None:
                return "finished"  # it ended while we looked
            outbox_id = repo.add_to_outbox(cur, sid, message.resent_after(current["attempt"]).to_json(), "resend")
        if outbox_id is None:
            return "resent already"  # another sweeper did it first
        log.warning("submission %s: %s for %.0f s (worst case %.0f s): sent again after attempt %d", sid,
                    current["status"], idle, budget_s, current["attempt"])
        self.relay.send(outbox_id)  # a miss is the relay's next pass
        return "resent"

    def _fail(self, sid: str, reason: str) -> str:
        with self.db.transaction() as cur:
            outcome = repo.fail_if_unfinished(cur, sid, reason)
        if outcome is repo.Applied.APPLIED:
            log.error("submission %s: FAILED: %s", sid, reason)
            return "failed"
        return "finished"
