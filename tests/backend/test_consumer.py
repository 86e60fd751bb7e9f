"""The completion consumer against real MariaDB and LocalStack SQS."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pymysql
import pytest

from backend.consumer import Consumer
from contracts.messages import CompletionMessage
from judge.result import SubmissionResult, TestResult
from judge.verdict import Verdict
from store import Database, DbConfig
from store import repositories as repo

RESULT_AC = SubmissionResult(Verdict.ACCEPTED, "cpp", time_ms=15, wall_ms=20, memory_kb=2048, tests=[
    TestResult("sample/1", "sample", Verdict.ACCEPTED, 15, 20, 2048)]).to_json()
RESULT_WA = {**RESULT_AC, "verdict": "WRONG_ANSWER"}


@pytest.fixture
def ctx(db, aws):
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("p", "P", "pass-fail", {}, "0" * 64, False))
        user, _ = repo.create_user(cur, "u")

    def new_submission() -> str:
        sid = str(uuid.uuid4())
        with db.transaction() as cur:
            repo.insert_submission(cur, id=sid, user_id=user.id, problem_id="p", language="python",
                                   s3_code_path=f"s3://{aws.bucket}/submissions/{sid}/Main.py")
        return sid

    def row(sid):
        with db.transaction() as cur:
            return repo.get_submission(cur, sid)

    def send(queue, body):
        aws.sqs.send_message(QueueUrl=queue, MessageBody=body if isinstance(body, str) else json.dumps(body))

    class Ctx:
        pass

    c = Ctx()
    c.db, c.aws, c.user, c.new_submission, c.row, c.send = db, aws, user, new_submission, row, send
    c.consumer = Consumer(db, aws.sqs, aws.completion_queue, aws.failure_queue)
    return c


def judged(sid, attempt, result=RESULT_AC):
    return CompletionMessage.judged(sid, attempt, result).to_json()


def test_judged_result_is_applied_and_message_deleted(ctx):
    sid = ctx.new_submission()
    ctx.send(ctx.aws.completion_queue, judged(sid, 1))
    assert ctx.consumer.drain_once() == {"applied": 1}
    r = ctx.row(sid)
    assert (r["status"], r["verdict"], r["attempt"], r["time_ms"]) == ("JUDGED", "ACCEPTED", 1, 15)
    assert ctx.aws.depth(ctx.aws.completion_queue) == 0


def test_duplicates_and_older_attempts_do_not_overwrite(ctx):
    sid = ctx.new_submission()
    ctx.send(ctx.aws.completion_queue, judged(sid, 2, RESULT_AC))
    assert ctx.consumer.drain_once() == {"applied": 1}
    ctx.send(ctx.aws.completion_queue, judged(sid, 2, RESULT_WA))  # duplicate delivery of attempt 2
    ctx.send(ctx.aws.completion_queue, judged(sid, 1, RESULT_WA))  # late result of an older attempt
    ctx.send(ctx.aws.completion_queue, CompletionMessage.failed(sid, 2, "late crash").to_json())
    assert ctx.consumer.drain_once() == {"stale": 3}
    r = ctx.row(sid)
    assert (r["status"], r["verdict"], r["attempt"]) == ("JUDGED", "ACCEPTED", 2)
    assert ctx.aws.depth(ctx.aws.completion_queue) == 0


def test_malformed_messages_are_deleted_and_the_rest_still_applied(ctx):
    sid = ctx.new_submission()
    for body in ("not json", "[]", json.dumps({"version": 9}), json.dumps({**json.loads(judged(sid, 1)),
                                                                            "status": "WEIRD"})):
        ctx.send(ctx.aws.completion_queue, body)
    ctx.send(ctx.aws.completion_queue, judged(sid, 1))
    ctx.send(ctx.aws.failure_queue, json.dumps({"requestContext": {"condition": "RetriesExhausted"},
                                                "requestPayload": {"nope": 1}}))
    stats = ctx.consumer.drain_once()
    assert stats == {"malformed": 5, "applied": 1}
    assert ctx.row(sid)["status"] == "JUDGED"
    assert ctx.aws.depth(ctx.aws.completion_queue) == 0 and ctx.aws.depth(ctx.aws.failure_queue) == 0


def test_result_for_unknown_submission_is_dropped(ctx):
    ctx.send(ctx.aws.completion_queue, judged(str(uuid.uuid4()), 1))
    assert ctx.consumer.drain_once() == {"missing": 1}
    assert ctx.aws.depth(ctx.aws.completion_queue) == 0


def failure_record(ctx, sid, receive_count=1):
    return {
        "version": "1.0",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "requestContext": {"requestId": "r", "condition": "RetriesExhausted", "approximateInvokeCount": 3,
                           "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:oj-worker_python"},
        "requestPayload": {"version": 1, "submission_id": sid, "problem_id": "p", "user_id": ctx.user.id,
                           "language": "python", "s3_code_path": f"s3://{ctx.aws.bucket}/submissions/{sid}/Main.py",
                           "dispatch": {"receive_count": receive_count, "message_id": "m-1"}},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": "Runtime.ExitError", "errorMessage": "worker process died (signal 9)"},
    }


def test_failure_record_marks_failed_with_reason(ctx):
    sid = ctx.new_submission()
    ctx.send(ctx.aws.failure_queue, failure_record(ctx, sid, receive_count=1))
    assert ctx.consumer.drain_once() == {"applied": 1}
    r = ctx.row(sid)
    assert (r["status"], r["verdict"], r["attempt"]) == ("FAILED", "JUDGE_ERROR", 1)
    assert "RetriesExhausted" in r["failure_reason"] and "signal 9" in r["failure_reason"]
    assert "oj-worker_python" in r["failure_reason"]
    assert ctx.aws.depth(ctx.aws.failure_queue) == 0


def test_failure_record_never_hides_a_verdict(ctx):
    sid = ctx.new_submission()
    ctx.send(ctx.aws.completion_queue, judged(sid, 1))
    ctx.consumer.drain_once()
    ctx.send(ctx.aws.failure_queue, failure_record(ctx, sid, receive_count=2))
    assert ctx.consumer.drain_once() == {"stale": 1}
    assert ctx.row(sid)["status"] == "JUDGED"


def test_database_outage_keeps_the_message_for_later(ctx, aws):
    sid = ctx.new_submission()
    short = aws.sqs.create_queue(QueueName=aws.bucket + "-short", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    ctx.send(short, judged(sid, 1))
    down = Consumer(Database(DbConfig("127.0.0.1", 1, "x", "y", connect_timeout=1)), aws.sqs, short)
    assert down.drain_once() == {"error": 1}
    assert aws.depth(short) == 1  # held, not deleted
    # Once the visibility timeout passes SQS offers it again, and a healthy consumer applies it.
    healthy, stats, deadline = Consumer(ctx.db, aws.sqs, short), {}, time.monotonic() + 15
    while not stats and time.monotonic() < deadline:
        stats = healthy.drain_once(wait_seconds=1)
    assert stats == {"applied": 1}
    assert ctx.row(sid)["status"] == "JUDGED"
    assert aws.depth(short) == 0


def test_run_forever_applies_and_stops(ctx):
    ctx.consumer.wait_seconds = 1
    stop = threading.Event()
    runner = threading.Thread(target=ctx.consumer.run_forever, args=(stop,))
    runner.start()
    try:
        judged_ids = [ctx.new_submission() for _ in range(3)]
        failed_id = ctx.new_submission()
        for sid in judged_ids:
            ctx.send(ctx.aws.completion_queue, judged(sid, 1))
        ctx.send(ctx.aws.failure_queue, failure_record(ctx, failed_id))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(ctx.row(s)["status"] == "QUEUED" for s in [*judged_ids, failed_id]):
            time.sleep(0.2)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    assert [ctx.row(s)["status"] for s in judged_ids] == ["JUDGED"] * 3
    assert ctx.row(failed_id)["status"] == "FAILED"


def test_from_env(ctx, monkeypatch):
    with pytest.raises(RuntimeError, match="COMPLETION_QUEUE_URL"):
        Consumer.from_env({}, db=ctx.db, sqs=ctx.aws.sqs)
    c = Consumer.from_env({"COMPLETION_QUEUE_URL": "c", "WORKER_FAILURE_QUEUE_URL": "f"}, db=ctx.db, sqs=ctx.aws.sqs)
    assert [q for q, _ in c.queues] == ["c", "f"]
    every = Consumer.from_env({"COMPLETION_QUEUE_URL": "c", "WORKER_FAILURE_QUEUE_URL": "f", "SUBMISSION_DLQ_URL": "s",
                               "COMPLETION_DLQ_URL": "d"}, db=ctx.db, sqs=ctx.aws.sqs)
    assert [(q, h.__name__) for q, h in every.queues] == [
        ("c", "handle_completion"), ("f", "handle_failure_record"), ("s", "handle_dead_letter"),
        ("d", "handle_dead_completion")]


def test_dead_letter_marks_the_submission_failed_but_never_hides_a_verdict(ctx, aws):
    from contracts.messages import SubmissionMessage, s3_code_path

    dlq = aws.sqs.create_queue(QueueName=aws.bucket + "-dlq")["QueueUrl"]
    consumer = Consumer(ctx.db, aws.sqs, aws.completion_queue, dlq_url=dlq)
    lost, judged_already = ctx.new_submission(), ctx.new_submission()
    ctx.send(aws.completion_queue, judged(judged_already, 1))
    consumer.drain_once()
    for sid in (lost, judged_already):
        ctx.send(dlq, SubmissionMessage(sid, "p", ctx.user.id, "python", s3_code_path(aws.bucket, sid, "python")).to_json())
    ctx.send(dlq, "not a submission message")
    assert consumer.drain_once() == {"applied": 1, "stale": 1, "malformed": 1}
    row = ctx.row(lost)
    assert row["status"] == "FAILED" and "dead-lettered" in row["failure_reason"]
    assert ctx.row(judged_already)["status"] == "JUDGED"
    assert aws.depth(dlq) == 0


def test_judging_progress_shows_then_gives_way_to_the_verdict(ctx):
    sid = ctx.new_submission()
    ctx.send(ctx.aws.completion_queue, CompletionMessage.judging(sid, 1).to_json())
    assert ctx.consumer.drain_once() == {"applied": 1}
    assert ctx.row(sid)["status"] == "JUDGING"
    ctx.send(ctx.aws.completion_queue, judged(sid, 1))
    ctx.consumer.drain_once()
    ctx.send(ctx.aws.completion_queue, CompletionMessage.judging(sid, 1).to_json())  # a late duplicate
    assert ctx.consumer.drain_once() == {"stale": 1}
    assert ctx.row(sid)["status"] == "JUDGED"


def test_a_result_the_database_refuses_ends_failed_kept_as_received_and_deleted(ctx):
    """time_ms over INT's range: the schema allows it, the column does not. Retrying would fail forever."""
    sid = ctx.new_submission()
    ctx.send(ctx.aws.completion_queue, CompletionMessage.judging(sid, 1).to_json())
    huge = {**RESULT_AC, "time_ms": 2**40}
    body = judged(sid, 1, huge)
    ctx.send(ctx.aws.completion_queue, body)
    assert ctx.consumer.drain_once() + ctx.consumer.drain_once() == {"applied": 1, "refused": 1}
    row = ctx.row(sid)
    assert (row["status"], row["verdict"], row["attempt"]) == ("FAILED", "JUDGE_ERROR", 1)
    assert "could not be stored" in row["failure_reason"] and "DataError" in row["failure_reason"]
    with ctx.db.transaction() as cur:
        cur.execute("SELECT body, error FROM unapplied_completions WHERE submission_id = %s", (sid,))
        [kept] = cur.fetchall()
    assert kept["body"] == body and "Out of range" in kept["error"]
    assert ctx.aws.depth(ctx.aws.completion_queue) == 0  # deleted, not redelivered forever


def test_a_transient_database_error_keeps_the_message(ctx, aws, monkeypatch):
    sid = ctx.new_submission()
    ctx.send(aws.completion_queue, judged(sid, 1))

    def lost_connection(*_args, **_kwargs):
        raise pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query")

    monkeypatch.setattr(repo, "apply_status", lost_connection)
    assert ctx.consumer.drain_once() == {"error": 1}
    monkeypatch.undo()
    assert ctx.row(sid)["status"] == "QUEUED"
    with ctx.db.transaction() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM unapplied_completions")
        assert cur.fetchone()["n"] == 0
    assert aws.depth(aws.completion_queue) == 1  # in flight, redelivered after the visibility timeout


def test_the_completion_dlq_applies_final_words_and_drops_progress(ctx, aws):
    dlq = aws.sqs.create_queue(QueueName=aws.bucket + "-completion-dlq")["QueueUrl"]
    consumer = Consumer(ctx.db, aws.sqs, aws.completion_queue, completion_dlq_url=dlq)
    judged_late, failed_late, judging_only, poison = (ctx.new_submission() for _ in range(4))
    ctx.send(dlq, judged(judged_late, 1))
    ctx.send(dlq, CompletionMessage.failed(failed_late, 1, "worker: compile server gone").to_json())
    ctx.send(dlq, CompletionMessage.judging(judging_only, 1).to_json())
    ctx.send(dlq, judged(poison, 1, {**RESULT_AC, "memory_kb": 2**40}))
    ctx.send(dlq, "{}")
    stats = consumer.drain_once()
    assert stats == {"applied": 2, "stale": 1, "refused": 1, "malformed": 1}
    assert ctx.row(judged_late)["verdict"] == "ACCEPTED"
    assert ctx.row(failed_late)["failure_reason"] == "worker: compile server gone"
    assert ctx.row(judging_only)["status"] == "QUEUED"  # the sweeper's to end
    assert ctx.row(poison)["status"] == "FAILED"
    assert aws.depth(dlq) == 0


def test_a_dead_letter_ends_a_judging_row_at_its_attempt(ctx, aws):
    from contracts.messages import SubmissionMessage, s3_code_path

    dlq = aws.sqs.create_queue(QueueName=aws.bucket + "-dlq2")["QueueUrl"]
    consumer = Consumer(ctx.db, aws.sqs, aws.completion_queue, dlq_url=dlq)
    sid = ctx.new_submission()
    ctx.send(aws.completion_queue, CompletionMessage.judging(sid, 2).to_json())
    consumer.drain_once()
    ctx.send(dlq, SubmissionMessage(sid, "p", ctx.user.id, "python", s3_code_path(aws.bucket, sid, "python")).to_json())
    assert consumer.drain_once() == {"applied": 1}
    row = ctx.row(sid)
    assert (row["status"], row["attempt"]) == ("FAILED", 2) and "dead-lettered" in row["failure_reason"]
