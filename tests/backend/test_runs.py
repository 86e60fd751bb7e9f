"""Runs on custom input through the API and the consumer, against real MariaDB and LocalStack S3/SQS:
what POST /v1/runs stores and queues, what it refuses (with a code, at no quota cost), its own rate
limit, ?wait, and the consumer applying a run's states by the submissions' rules."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from backend import admin
from backend.api import ApiConfig, create_app
from backend.consumer import Consumer
from backend.quota import QuotaConfig, RateLimit
from contracts.runs import RunCompletionMessage, RunLimits, RunMessage, queue_message
from store import repositories as repo

SOURCE = "print(input())\n"
DONE = {"compiled": True, "compile_output": "", "stdout": "hi\n", "stdout_truncated": False, "stderr": "",
        "stderr_truncated": False, "exit_code": 0, "signal": None, "cpu_ms": 12, "wall_ms": 20, "memory_kb": 9000,
        "limit_verdict": None}


@pytest.fixture
def ctx(db, aws):
    alice, token = admin.create_user(db, "alice")
    quota = QuotaConfig(submissions=RateLimit(30, 60), runs=RateLimit(2, 3600))
    app = create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs, quota=quota,
                     run_limits=RunLimits(1.5, 128, 2))

    class Ctx:
        pass

    c = Ctx()
    c.db, c.aws, c.alice, c.client = db, aws, alice, TestClient(app)
    c.auth = {"Authorization": f"Bearer {token}"}
    c.consumer = Consumer(db, aws.sqs, aws.completion_queue)
    return c


def post_run(ctx, query: str = "", **body):
    # json.dumps escapes a lone surrogate as \\ud800: valid JSON, not UTF-8 text
    return ctx.client.post(f"/v1/runs{query}", content=json.dumps({"language": "python", "source_code": SOURCE, **body}),
                           headers={**ctx.auth, "Content-Type": "application/json"})


def test_a_run_is_stored_and_queued_for_the_workers_with_its_limits(ctx):
    response = post_run(ctx, stdin="hi\n")
    assert response.status_code == 202, response.text
    rid = response.json()["run_id"]
    [sent] = ctx.aws.receive(ctx.aws.submission_queue)
    message = queue_message(sent["Body"])  # what the dispatcher reads
    assert isinstance(message, RunMessage)
    assert (message.run_id, message.user_id, message.limits) == (rid, ctx.alice.id, RunLimits(1.5, 128, 2))
    source = ctx.aws.s3.get_object(Bucket=ctx.aws.bucket, Key=f"runs/{rid}/Main.py")
    stdin = ctx.aws.s3.get_object(Bucket=ctx.aws.bucket, Key=f"runs/{rid}/stdin.txt")
    assert (source["Body"].read(), stdin["Body"].read()) == (SOURCE.encode(), b"hi\n")
    assert source["ServerSideEncryption"] == "AES256"
    view = ctx.client.get(f"/v1/runs/{rid}", headers=ctx.auth).json()
    assert (view["status"], view["stdout"], view["limits"]) == (
        "QUEUED", None, {"cpu_time_s": 1.5, "memory_mib": 128, "output_mib": 2})


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"language": "cobol"}, 422, "invalid_request"),
    ({"source_code": " \n"}, 422, "empty_source"),
    ({"source_code": "x" * (64 * 1024 + 1)}, 413, "source_too_large"),
    ({"stdin": "x" * (256 * 1024 + 1)}, 413, "stdin_too_large"),
    ({"stdin": "\ud800"}, 422, "stdin_not_utf8"),
    ({"problem_id": "aplusb"}, 422, "invalid_request"),
])
def test_bad_runs_are_refused_with_a_code_and_cost_no_quota(ctx, body, status, code):
    response = post_run(ctx, **body)
    assert (response.status_code, response.json()["error"]) == (status, code), response.text
    assert [post_run(ctx).status_code for _ in range(2)] == [202, 202]  # the whole bucket of 2 is left


def test_runs_have_their_own_rate_limit(ctx):
    assert [post_run(ctx).status_code for _ in range(2)] == [202, 202]
    limited = post_run(ctx)
    assert (limited.status_code, limited.json()["error"]) == (429, "rate_limited")
    assert int(limited.headers["Retry-After"]) > 0
    submission = ctx.client.post("/v1/submissions", headers=ctx.auth,
                                 json={"problem_id": "none", "language": "python", "source_code": SOURCE})
    assert submission.status_code == 404  # past the quota: the submission bucket is another one


def test_someone_elses_run_is_not_found(ctx):
    rid = post_run(ctx).json()["run_id"]
    _, bob_token = admin.create_user(ctx.db, "bob")
    response = ctx.client.get(f"/v1/runs/{rid}", headers={"Authorization": f"Bearer {bob_token}"})
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    too_long = ctx.client.get("/v1/runs/x?wait=11", headers=ctx.auth)
    assert (too_long.status_code, too_long.json()["error"]) == (422, "invalid_request")


def _finish_when_queued(ctx, delay_s: float) -> threading.Thread:
    """The worker and consumer's part: once the run is queued, apply RUNNING then DONE."""

    def finish():
        deadline, sent = time.monotonic() + 5, []
        while not sent and time.monotonic() < deadline:
            sent = ctx.aws.receive(ctx.aws.submission_queue)
        rid = json.loads(sent[0]["Body"])["run_id"]
        time.sleep(delay_s)
        with ctx.db.transaction() as cur:
            repo.apply_run_status(cur, rid, 1, "DONE", result=DONE)

    thread = threading.Thread(target=finish)
    thread.start()
    return thread


def test_wait_answers_inline_when_the_run_ends_in_time(ctx):
    finisher = _finish_when_queued(ctx, 0.5)
    response = post_run(ctx, "?wait=8")
    finisher.join()
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["stdout"]) == ("DONE", "hi\n")


def test_wait_gives_202_when_the_run_is_not_done_in_time(ctx):
    started = time.monotonic()
    response = post_run(ctx, "?wait=1")
    assert response.status_code == 202 and response.json()["status"] == "QUEUED"
    assert 0.8 < time.monotonic() - started < 5


def test_the_consumer_applies_a_runs_states_by_the_submissions_rules(ctx):
    rid = post_run(ctx).json()["run_id"]
    for message in (RunCompletionMessage.running(rid, 1), RunCompletionMessage.done(rid, 1, DONE),
                    RunCompletionMessage.running(rid, 1), RunCompletionMessage.failed(rid, 1, "late crash")):
        ctx.aws.sqs.send_message(QueueUrl=ctx.aws.completion_queue, MessageBody=message.to_json())
    stats = ctx.consumer.drain_once()
    stats += ctx.consumer.drain_once()
    assert stats == {"applied": 2, "stale": 2}
    view = ctx.client.get(f"/v1/runs/{rid}", headers=ctx.auth).json()
    assert (view["status"], view["stdout"], view["exit_code"], view["failure_reason"]) == ("DONE", "hi\n", 0, None)


def test_a_runs_failure_record_and_its_dead_letter_fail_the_run_with_the_reason(ctx):
    lost, crashed = post_run(ctx).json()["run_id"], post_run(ctx).json()["run_id"]
    queued = {json.loads(m["Body"])["run_id"]: json.loads(m["Body"]) for m in ctx.aws.receive(ctx.aws.submission_queue)}
    dlq = ctx.aws.sqs.create_queue(QueueName=ctx.aws.bucket + "-runs-dlq")["QueueUrl"]
    consumer = Consumer(ctx.db, ctx.aws.sqs, ctx.aws.completion_queue, ctx.aws.failure_queue, dlq_url=dlq)
    ctx.aws.sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(queued[lost]))
    ctx.aws.sqs.send_message(QueueUrl=ctx.aws.failure_queue, MessageBody=json.dumps({
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3,
                           "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:oj-worker_python"},
        "requestPayload": {**queued[crashed], "dispatch": {"receive_count": 1, "message_id": "m-1"}},
        "responsePayload": {"errorType": "Runtime.ExitError", "errorMessage": "worker process died"}}))
    assert consumer.drain_once() == {"applied": 2}
    lost_view = ctx.client.get(f"/v1/runs/{lost}", headers=ctx.auth).json()
    crashed_view = ctx.client.get(f"/v1/runs/{crashed}", headers=ctx.auth).json()
    assert (lost_view["status"], crashed_view["status"]) == ("FAILED", "FAILED")
    assert "dead-lettered" in lost_view["failure_reason"] and "worker process died" in crashed_view["failure_reason"]
