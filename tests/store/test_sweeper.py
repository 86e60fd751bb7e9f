"""The sweeper against real MariaDB and LocalStack SQS: a stuck submission is sent again once, with its
runs numbered after the attempts it had, then ends FAILED with the reason; nothing else is touched."""

from __future__ import annotations

import json
import threading
import uuid

from contracts.messages import SubmissionMessage
from store import Database
from store import repositories as repo
from store.outbox import OutboxRelay
from store.sweeper import Sweeper, SweepPolicy

# 5 s of dispatch margin plus one invocation of at most the problem's worst case (capped at 10 s).
POLICY = SweepPolicy(worker_timeout_s=10, worker_retries=0, retry_delays_s=0, dispatch_margin_s=5)
RESULT = {"schema_version": 1, "verdict": "ACCEPTED", "score": None, "time_ms": 1, "memory_kb": 1,
          "compile_output": "", "tests": []}


class World:
    def __init__(self, db, aws):
        self.db, self.aws = db, aws
        with db.transaction() as cur:
            repo.upsert_problem(cur, repo.Problem("quick", "Q", "pass-fail", {"worst_case_s": 2.0}, "0" * 64, False))
            repo.upsert_problem(cur, repo.Problem("slow", "S", "pass-fail", {"worst_case_s": 60.0}, "0" * 64, False))
            self.user, _ = repo.create_user(cur, f"u-{uuid.uuid4().hex[:8]}")
        self.relay = OutboxRelay(db, aws.sqs, aws.submission_queue)

    def submission(self, problem="quick", status="QUEUED", attempt=0, idle_s=0.0) -> str:
        sid = str(uuid.uuid4())
        with self.db.transaction() as cur:
            repo.insert_submission(cur, id=sid, user_id=self.user.id, problem_id=problem, language="python",
                                   s3_code_path=f"s3://{self.aws.bucket}/submissions/{sid}/Main.py")
            cur.execute("UPDATE submissions SET status = %s, attempt = %s,"
                        " updated_at = NOW(6) - INTERVAL %s MICROSECOND WHERE id = %s",
                        (status, attempt, int(idle_s * 1e6), sid))
        return sid

    def age_resend(self, sid: str, seconds: float) -> None:
        with self.db.transaction() as cur:
            cur.execute("UPDATE outbox SET created_at = created_at - INTERVAL %s MICROSECOND"
                        " WHERE submission_id = %s AND purpose = 'resend'", (int(seconds * 1e6), sid))
            cur.execute("UPDATE submissions SET updated_at = updated_at - INTERVAL %s MICROSECOND WHERE id = %s",
                        (int(seconds * 1e6), sid))

    def row(self, sid: str) -> dict:
        with self.db.transaction() as cur:
            return repo.get_submission(cur, sid)

    def sent(self) -> list[SubmissionMessage]:
        messages = []
        while batch := self.aws.receive(self.aws.submission_queue):
            messages += [SubmissionMessage.from_json(m["Body"]) for m in batch]
            self.aws.sqs.delete_message_batch(QueueUrl=self.aws.submission_queue, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        return messages


def test_a_stuck_submission_is_sent_again_once_then_failed_with_the_reason(db, aws):
    w = World(db, aws)
    sweeper = Sweeper(db, w.relay, POLICY)
    stuck = w.submission(status="JUDGING", attempt=2, idle_s=8)  # budget: 5 + 2 s
    assert sweeper.sweep_once() == {"resent": 1}
    [again] = w.sent()
    assert (again.submission_id, again.prior_attempts) == (stuck, 2)
    assert again.with_dispatch(1, "m").attempt == 3  # its run reports attempt 3, above the stuck one
    assert sweeper.sweep_once() == {}  # the clock restarts at the re-send
    assert w.row(stuck)["status"] == "JUDGING"

    w.age_resend(stuck, 8)
    assert sweeper.sweep_once() == {"failed": 1}
    row = w.row(stuck)
    assert (row["status"], row["verdict"], row["attempt"]) == ("FAILED", "JUDGE_ERROR", 2)
    assert "after it was sent again" in row["failure_reason"] and "JUDGING at attempt 2" in row["failure_reason"]
    assert w.sent() == []  # sent again once, never twice
    assert sweeper.sweep_once() == {}


def test_the_resent_run_s_verdict_counts(db, aws):
    w = World(db, aws)
    stuck = w.submission(status="JUDGING", attempt=1, idle_s=8)
    Sweeper(db, w.relay, POLICY).sweep_once()
    [again] = w.sent()
    with db.transaction() as cur:
        attempt = again.with_dispatch(1, "m").attempt
        assert repo.apply_status(cur, stuck, attempt, "JUDGING") is repo.Applied.APPLIED
        assert repo.apply_status(cur, stuck, attempt, "JUDGED", result=RESULT) is repo.Applied.APPLIED
        # the first run, late, cannot overwrite it
        assert repo.apply_status(cur, stuck, 1, "JUDGED", result={**RESULT, "verdict": "WRONG_ANSWER"}) \
            is repo.Applied.STALE
    assert (w.row(stuck)["status"], w.row(stuck)["verdict"]) == ("JUDGED", "ACCEPTED")


def test_only_what_outlived_its_own_problem_s_worst_case_is_swept(db, aws):
    w = World(db, aws)
    fresh = w.submission(idle_s=1)
    slow_but_fine = w.submission(problem="slow", status="JUDGING", attempt=1, idle_s=12)  # budget 5 + 10
    stuck_quick = w.submission(idle_s=12)  # budget 5 + 2
    judged = w.submission(status="JUDGED", attempt=1, idle_s=1000)
    assert Sweeper(db, w.relay, POLICY).sweep_once() == {"resent": 1}
    assert [m.submission_id for m in w.sent()] == [stuck_quick]
    assert [w.row(s)["status"] for s in (fresh, slow_but_fine, judged)] == ["QUEUED", "JUDGING", "JUDGED"]


def test_sweepers_running_together_send_again_once(db, aws, db_config):
    w = World(db, aws)
    stuck = [w.submission(idle_s=30) for _ in range(12)]
    sweepers = [Sweeper(Database(db_config), OutboxRelay(Database(db_config), aws.sqs, aws.submission_queue), POLICY)
                for _ in range(3)]
    barrier, results = threading.Barrier(3), []

    def run(sweeper):
        barrier.wait()
        results.append(sweeper.sweep_once())

    threads = [threading.Thread(target=run, args=(s,)) for s in sweepers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["resent"] for r in results) == 12
    sent = [m.submission_id for m in w.sent()]
    assert sorted(sent) == sorted(stuck)  # each once
    with db.transaction() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM outbox WHERE purpose = 'resend' AND sent_at IS NOT NULL")
        assert cur.fetchone()["n"] == 12


def test_a_row_no_message_can_carry_ends_failed_at_once(db, aws):
    w = World(db, aws)
    sid = w.submission(idle_s=30)
    with db.transaction() as cur:  # a row written before intake checked the contract's rules
        cur.execute("UPDATE submissions SET language = 'cobol', updated_at = updated_at WHERE id = %s", (sid,))
    assert Sweeper(db, w.relay, POLICY).sweep_once() == {"failed": 1}
    assert "cannot be sent again" in w.row(sid)["failure_reason"]
    assert json.dumps(w.sent()) == "[]"


def test_the_policy_comes_from_the_worker_s_settings():
    assert SweepPolicy.from_env({"WORKER_TIMEOUT_SECONDS": "120", "WORKER_MAX_RETRY_ATTEMPTS": "0"}) == SweepPolicy(
        worker_timeout_s=120, worker_retries=0)
    assert SweepPolicy.from_env({}) == SweepPolicy()
