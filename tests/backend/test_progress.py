"""Live progress and sample mode against real MariaDB and LocalStack: the consumer storing progress
(forward only, never over a verdict), the events stream over the API, the sample-mode view, and
the OpenAPI document of the new routes."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from backend import admin
from backend.api import ApiConfig, create_app
from backend.consumer import Consumer
from backend.events import submission_events
from contracts.messages import CompletionMessage, ProgressMessage, SubmissionMessage
from judge.result import SubmissionResult, TestResult
from judge.verdict import Verdict
from store import repositories as repo

SOURCE = "print(1)\n"
SAMPLES_WA = SubmissionResult(Verdict.WRONG_ANSWER, "python", tests=[
    TestResult("sample/1", "sample", Verdict.WRONG_ANSWER, 10, 12, 900, output="4\n", expected_output="3\n",
               output_truncated=False)]).to_json()


@pytest.fixture
def ctx(db, aws):
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("aplusb", "A plus B", "pass-fail", {}, "0" * 64, False))
    _, token = admin.create_user(db, "alice")
    app = create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs)

    class Ctx:
        pass

    c = Ctx()
    c.db, c.aws, c.client, c.auth = db, aws, TestClient(app), {"Authorization": f"Bearer {token}"}
    c.consumer = Consumer(db, aws.sqs, aws.completion_queue)

    def submit(**body) -> str:
        response = c.client.post("/v1/submissions", headers=c.auth, json={
            "problem_id": "aplusb", "language": "python", "source_code": SOURCE, **body})
        assert response.status_code == 202, response.text
        return response.json()["submission_id"]

    def apply(*messages) -> dict:
        for message in messages:
            aws.sqs.send_message(QueueUrl=aws.completion_queue, MessageBody=message.to_json())
        stats = {}
        while sum(stats.values()) < len(messages):
            for outcome, n in c.consumer.drain_once().items():
                stats[outcome] = stats.get(outcome, 0) + n
        return stats

    c.submit, c.apply = submit, apply
    c.view = lambda sid: c.client.get(f"/v1/submissions/{sid}", headers=c.auth).json()
    return c


def test_progress_is_shown_while_judging_moves_only_forward_and_never_over_a_verdict(ctx):
    sid = ctx.submit()
    ctx.apply(CompletionMessage.judging(sid, 1), ProgressMessage.now(sid, 1, 4, 9))
    assert ctx.apply(ProgressMessage.now(sid, 1, 2, 9)) == {"stale": 1}  # delivered out of order
    view = ctx.view(sid)
    assert (view["status"], view["tests_done"], view["tests_total"]) == ("JUDGING", 4, 9)
    assert ctx.apply(ProgressMessage.now(sid, 2, 1, 9)) == {"applied": 1}  # a newer attempt starts over
    result = SubmissionResult(Verdict.ACCEPTED, "python").to_json()
    ctx.apply(CompletionMessage.judged(sid, 2, result))
    assert ctx.apply(ProgressMessage.now(sid, 2, 8, 9)) == {"stale": 1}
    view = ctx.view(sid)
    assert (view["status"], view["tests_done"], view["tests_total"]) == ("JUDGED", None, None)


def test_a_sample_mode_submission_is_queued_as_one_and_shows_each_samples_diff(ctx):
    sid = ctx.submit(mode="samples")
    [sent] = ctx.aws.receive(ctx.aws.submission_queue)
    assert SubmissionMessage.from_json(sent["Body"]).mode == "samples"
    assert ctx.view(sid)["mode"] == "samples" and ctx.view(sid)["samples"] is None
    ctx.apply(CompletionMessage.judged(sid, 1, SAMPLES_WA))
    view = ctx.view(sid)
    assert view["samples"] == [{"name": "sample/1", "verdict": "WRONG_ANSWER", "output": "4\n",
                                "expected_output": "3\n", "truncated": False}]
    assert "output" not in view["tests"][0]  # shown once, in samples
    full = ctx.submit()
    assert (ctx.view(full)["mode"], ctx.view(full)["samples"]) == ("full", None)


def test_a_mode_that_does_not_exist_is_refused(ctx):
    response = ctx.client.post("/v1/submissions", headers=ctx.auth, json={
        "problem_id": "aplusb", "language": "python", "source_code": SOURCE, "mode": "secret"})
    assert (response.status_code, response.json()["error"]) == (422, "invalid_request")


def test_the_event_stream_sends_each_change_and_ends_with_the_verdict(ctx):
    sid = ctx.submit()

    def judge():
        time.sleep(0.8)
        ctx.apply(CompletionMessage.judging(sid, 1))
        time.sleep(0.8)
        ctx.apply(ProgressMessage.now(sid, 1, 3, 9))
        time.sleep(0.8)
        ctx.apply(CompletionMessage.judged(sid, 1, SubmissionResult(Verdict.ACCEPTED, "python").to_json()))

    worker = threading.Thread(target=judge)
    worker.start()
    with ctx.client.stream("GET", f"/v1/submissions/{sid}/events", headers=ctx.auth) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    worker.join()
    events = [block.splitlines() for block in text.strip().split("\n\n")]
    assert [lines[1] for lines in events] == ["event: state"] * 4
    states = [json.loads(lines[2].removeprefix("data: ")) for lines in events]
    assert [(s["status"], s["tests_done"], s["verdict"]) for s in states] == [
        ("QUEUED", None, None), ("JUDGING", None, None), ("JUDGING", 3, None), ("JUDGED", None, "ACCEPTED")]
    missing = ctx.client.get("/v1/submissions/nope/events", headers=ctx.auth)
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")


def test_a_quiet_stream_sends_keep_alives_and_ends_at_its_time_limit():
    class View:
        status, tests_done, tests_total, verdict = "JUDGING", None, None, None

    now = [0.0]

    async def sleep(seconds):
        now[0] += seconds

    async def collect():
        return [event async for event in submission_events(View, clock=lambda: now[0], sleep=sleep, poll_s=5,
                                                          max_stream_s=40)]

    stream = asyncio.run(collect())
    assert stream[0].startswith("id: 1\nevent: state\n")
    assert stream.count(": keep-alive\n\n") == 2 and stream[-1].startswith("event: timeout\n")


def test_the_openapi_document_has_the_new_routes_with_examples(ctx):
    doc = ctx.client.get("/openapi.json").json()
    assert {"/v1/runs", "/v1/runs/{run_id}", "/v1/submissions/{submission_id}/events",
            "/v1/problems/{problem_id}/rejudge"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    for name in ("RunView", "RunAccepted", "SubmissionView", "RunRequest", "RejudgeRequest", "RejudgeAccepted"):
        [example] = schemas[name]["examples"]
        properties = schemas[name]["properties"]
        # the document leaves nulls out (FastAPI encodes it without them): what is missing is nullable
        unshown = {key for key in set(properties) - set(example)
                   if {"type": "null"} not in properties[key].get("anyOf", [])}
        assert set(example) <= set(properties) and not unshown, (name, unshown)
    post = doc["paths"]["/v1/runs"]["post"]
    assert {"200", "202", "413", "422", "429"} <= set(post["responses"])
    events = doc["paths"]["/v1/submissions/{submission_id}/events"]["get"]["responses"]["200"]
    assert "event: state" in events["content"]["text/event-stream"]["example"]


def test_the_event_stream_ends_within_events_max_stream_s(ctx, aws, db, monkeypatch):
    """Behind API Gateway the function's timeout bounds a response: EVENTS_MAX_STREAM_S ends a stream of
    a submission that stays QUEUED with a timeout event, in time."""
    monkeypatch.setenv("EVENTS_MAX_STREAM_S", "1.5")
    client = TestClient(create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs))
    sid = ctx.submit()
    started = time.monotonic()
    with client.stream("GET", f"/v1/submissions/{sid}/events", headers=ctx.auth) as response:
        text = "".join(response.iter_text())
    assert 1.5 <= time.monotonic() - started < 10
    events = [block.splitlines() for block in text.strip().split("\n\n")]
    assert events[0][1] == "event: state" and events[-1][0] == "event: timeout", events
    monkeypatch.setenv("EVENTS_MAX_STREAM_S", "soon")
    with pytest.raises(RuntimeError, match="EVENTS_MAX_STREAM_S"):
        create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs)
