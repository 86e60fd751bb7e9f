"""Rejudge a problem's submissions (after its data changed): POST /v1/problems/{id}/rejudge with an
admin token, optionally only the submissions with some verdicts.

In one transaction each final (JUDGED or FAILED) submission's result goes to submission_history and
its row becomes QUEUED at the next rejudge's attempt base (contracts.messages.REJUDGE_STEP): late
messages of its earlier judgings are then stale by the usual rule (`should_apply`), and the new
judging's are not. Then a SubmissionMessage per submission goes on the queue; one that cannot be
queued is marked FAILED with the reason, as intake does. Submissions still QUEUED or JUDGING are
left alone: their judging is under way.
"""

from __future__ import annotations

import logging

from backend.intake import Intake, Rejected
from contracts.messages import REJUDGE_STEP, SubmissionMessage
from store import repositories as repo

log = logging.getLogger(__name__)


def next_base(attempt: int) -> int:
    return (attempt // REJUDGE_STEP + 1) * REJUDGE_STEP


class Rejudge:
    def __init__(self, intake: Intake):
        self.intake = intake

    def problem(self, user: repo.User, problem_id: str, verdicts: list[str] | None = None) -> list[str]:
        """Re-queue the problem's final submissions (with one of `verdicts`, if given); their ids."""
        with self.intake.db.transaction() as cur:
            if not repo.is_admin(cur, user.id):
                raise Rejected(403, "forbidden", "rejudging needs an admin token")
            if repo.get_problem(cur, problem_id) is None:
                raise Rejected(404, "problem_not_found", f"no problem {problem_id!r}")
            messages = []
            for row in repo.final_submissions_of(cur, problem_id, verdicts):
                base = next_base(row["attempt"])
                repo.requeue_for_rejudge(cur, row["id"], base)
                messages.append(SubmissionMessage(row["id"], row["problem_id"], row["user_id"], row["language"],
                                                  row["s3_code_path"], mode=row["mode"], attempt_base=base))
        for message in messages:
            self._enqueue(message)
        log.info("rejudge of %s by %s: %d submission(s) queued", problem_id, user.id, len(messages))
        return [message.submission_id for message in messages]

    def _enqueue(self, message: SubmissionMessage) -> None:
        queue = self.intake.config.submission_queue_url
        send = {"QueueUrl": queue, "MessageBody": message.to_json()}
        if queue.endswith(".fifo"):  # not deduplicated against the first judging's message
            key = f"{message.submission_id}-{message.attempt_base}"
            send.update(MessageGroupId=message.submission_id, MessageDeduplicationId=key)
        try:
            self.intake.sqs.send_message(**send)
        except Exception as exc:
            log.error("rejudge of %s not queued: %s", message.submission_id, exc)
            with self.intake.db.transaction() as cur:
                repo.apply_status(cur, message.submission_id, message.attempt_base, "FAILED",
                                  reason=f"the rejudge could not be queued: {exc}")
