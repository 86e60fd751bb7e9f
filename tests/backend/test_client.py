"""The typed client (backend/client.py) against the real API served on loopback (uvicorn, MariaDB,
LocalStack S3/SQS): submit, get, wait, discovery, errors as ApiError with their codes, webhooks."""

from __future__ import annotations

import json
import threading
import time

import pytest
import uvicorn

from backend import admin
from backend.api import ApiConfig, create_app
from backend.client import ApiError, JudgeClient, Submission, verify_webhook, webhook_guard
from backend.quota import QuotaConfig
from contracts.messages import CompletionMessage
from contracts.webhooks import WebhookRefused, delivery_headers
from judge.result import SubmissionResult, TestResult
from judge.verdict import Verdict
from local.stack import free_port
from store import repositories as repo
from tests.backend.test_catalogue import PROBLEMS

SOURCE = "print(sum(map(int, input().split())))\n"


@pytest.fixture
def served(db, aws):
    admin.import_problem(db, PROBLEMS / "aplusb")
    _, token = admin.create_user(db, "alice")
    app = create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs,
                     quota=QuotaConfig.from_env({"SUBMISSION_RATE_LIMIT": "3/60"}))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield JudgeClient(f"http://127.0.0.1:{port}", token), db
    server.should_exit = True
    thread.join(10)


def judge_later(db, submission_id: str, delay_s: float) -> threading.Thread:
    """What the consumer does when the worker's result arrives, a little later."""
    result = SubmissionResult(Verdict.ACCEPTED, "python", time_ms=7, wall_ms=9, memory_kb=900, tests=[
        TestResult("sample/1", "sample", Verdict.ACCEPTED, 7, 9, 900)]).to_json()

    def apply():
        time.sleep(delay_s)
        with db.transaction() as cur:
            repo.apply_status(cur, submission_id, 1, "JUDGED", result=result)

    thread = threading.Thread(target=apply)
    thread.start()
    return thread


def test_submit_get_and_wait_are_typed(served):
    client, db = served
    accepted = client.submit("aplusb", "python", SOURCE, idempotency_key="once")
    assert accepted.status == "QUEUED" and not accepted.replayed
    assert client.submit("aplusb", "python", SOURCE, idempotency_key="once").replayed
    queued = client.get(accepted.submission_id)
    assert isinstance(queued, Submission) and queued.status == "QUEUED" and not queued.final
    worker = judge_later(db, accepted.submission_id, 0.5)
    judged = client.wait(accepted.submission_id, timeout_s=10, poll_s=0.1)
    worker.join()
    assert (judged.status, judged.verdict, judged.time_ms) == ("JUDGED", "ACCEPTED", 7)
    assert judged.tests[0]["name"] == "sample/1"
    with pytest.raises(TimeoutError, match="still QUEUED"):
        client.wait(client.submit("aplusb", "python", SOURCE).submission_id, timeout_s=0.3, poll_s=0.1)


def test_refusals_are_api_errors_with_their_codes(served):
    client, _ = served
    with pytest.raises(ApiError) as missing:
        client.get("00000000-0000-0000-0000-000000000000")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
    with pytest.raises(ApiError) as empty:
        client.submit("aplusb", "python", "   ")
    assert (empty.value.status, empty.value.code) == (422, "empty_source")
    for _ in range(3):
        client.submit("aplusb", "python", SOURCE)
    with pytest.raises(ApiError) as limited:
        client.submit("aplusb", "python", SOURCE)
    assert (limited.value.status, limited.value.code) == (429, "rate_limited")
    assert limited.value.retry_after_s >= 1
    with pytest.raises(ApiError) as unauthorized:
        JudgeClient(client.base_url, "not-a-token").languages()
    assert (unauthorized.value.status, unauthorized.value.code) == (401, "unauthorized")


def test_discovery_is_typed(served):
    client, _ = served
    languages = {language.name: language for language in client.languages()}
    assert languages["c"].compile_command.startswith("gcc -std=c17") and languages["c"].source_file_name == "Main.c"
    [problem] = client.problems()
    assert problem.problem_id == "aplusb" and problem.may_submit and problem.samples is None
    detailed = client.problem("aplusb")
    assert detailed.samples[0].input == (PROBLEMS / "aplusb" / "data" / "sample" / "1.in").read_text()


def test_a_webhook_is_verified_once():
    secret = b"hook-secret"
    body = CompletionMessage.failed("0b7f2d1c-8f0e-4a57-9a55-3c1f0e2d9b11", 1, "boom").to_json().encode()
    headers = delivery_headers(body, secret)
    guard = webhook_guard(secret)
    assert verify_webhook(guard, body, headers)["status"] == "FAILED"
    with pytest.raises(WebhookRefused) as replayed:
        verify_webhook(guard, body, headers)
    assert replayed.value.code == "replayed_delivery"
    with pytest.raises(WebhookRefused) as forged:
        verify_webhook(webhook_guard(b"other"), body, delivery_headers(body, secret))
    assert forged.value.code == "bad_signature"
    assert json.loads(body)["reason"] == "boom"


def test_problem_setting_is_typed_and_an_invalid_package_lists_its_problems(served, tmp_path):
    import gzip
    import io
    import shutil
    import tarfile

    from backend.client import Grant, ProblemUpload

    client, db = served
    _, admin_token = admin.create_user(db, "setter", is_admin=True)
    setter = JudgeClient(client.base_url, admin_token)
    package = tmp_path / "mine"
    shutil.copytree(PROBLEMS / "aplusb", package)

    def archive() -> bytes:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tar:
            tar.add(package, "mine")
        return gzip.compress(raw.getvalue())

    uploaded = setter.upload_problem(archive(), restricted=True)
    assert isinstance(uploaded, ProblemUpload)
    assert (uploaded.problem_id, uploaded.created, uploaded.restricted) == ("mine", True, True)
    assert setter.upload_problem(archive(), problem_id="mine").changed is False
    assert setter.grant("mine", "alice") == Grant("mine", setter.grants("mine")[0].user_id, "alice",
                                                  setter.grants("mine")[0].granted_at)
    assert setter.revoke("mine", "alice") is True and setter.grants("mine") == []

    (package / "problem.yaml").write_text("limits:\n  memory: lots\n  output: lots\n")
    with pytest.raises(ApiError) as invalid:
        setter.upload_problem(archive())
    assert (invalid.value.status, invalid.value.code) == (422, "invalid_package")
    assert len(invalid.value.body["problems"]) == 2
    with pytest.raises(ApiError) as not_admin:
        client.upload_problem(archive())
    assert (not_admin.value.status, not_admin.value.code) == (403, "forbidden")
