"""Rejudge through the API against real MariaDB and LocalStack: admins only, the final submissions
(or those with some verdicts) queued again above their earlier attempts, their results kept as
history, late messages of the earlier judging ignored."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from backend import admin
from backend.api import ApiConfig, create_app
from contracts.messages import CompletionMessage, SubmissionMessage
from judge.result import SubmissionResult
from judge.verdict import Verdict
from store import repositories as repo


def result(verdict: Verdict) -> dict:
    return SubmissionResult(verdict, "python").to_json()


@pytest.fixture
def ctx(db, aws):
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("aplusb", "A plus B", "pass-fail", {}, "0" * 64, False))
    user, token = admin.create_user(db, "alice")
    _, admin_token = admin.create_user(db, "setter", is_admin=True)
    app = create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs)

    class Ctx:
        pass

    c = Ctx()
    c.db, c.aws, c.user, c.client = db, aws, user, TestClient(app)
    c.auth, c.admin = {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {admin_token}"}

    def submission(status: str, verdict: Verdict | None = None, attempt: int = 1) -> str:
        sid = str(uuid.uuid4())
        with db.transaction() as cur:
            repo.insert_submission(cur, id=sid, user_id=user.id, problem_id="aplusb", language="python",
                                   s3_code_path=f"s3://{aws.bucket}/submissions/{sid}/Main.py")
            if status == "JUDGED":
                repo.apply_status(cur, sid, attempt, "JUDGED", result=result(verdict))
            elif status == "JUDGING":
                repo.apply_status(cur, sid, attempt, "JUDGING")
        return sid

    def apply(message: CompletionMessage) -> str:
        with db.transaction() as cur:
            return str(repo.apply_status(cur, message.submission_id, message.attempt, message.status,
                                         result=message.result, reason=message.reason))

    c.submission, c.apply = submission, apply
    c.view = lambda sid: c.client.get(f"/v1/submissions/{sid}", headers=c.auth).json()
    return c


def test_only_an_admin_may_rejudge_and_only_a_problem_that_exists(ctx):
    refused = ctx.client.post("/v1/problems/aplusb/rejudge", headers=ctx.auth)
    assert (refused.status_code, refused.json()["error"]) == (403, "forbidden")
    missing = ctx.client.post("/v1/problems/nope/rejudge", headers=ctx.admin)
    assert (missing.status_code, missing.json()["error"]) == (404, "problem_not_found")
    bad = ctx.client.post("/v1/problems/aplusb/rejudge", headers=ctx.admin, json={"verdicts": ["GREAT"]})
    assert (bad.status_code, bad.json()["error"]) == (422, "invalid_request")


def test_a_rejudge_queues_the_chosen_verdicts_again_and_keeps_the_earlier_result(ctx):
    wrong = ctx.submission("JUDGED", Verdict.WRONG_ANSWER)
    right = ctx.submission("JUDGED", Verdict.ACCEPTED)
    running = ctx.submission("JUDGING")
    response = ctx.client.post("/v1/problems/aplusb/rejudge", headers=ctx.admin, json={"verdicts": ["WRONG_ANSWER"]})
    assert response.status_code == 202, response.text
    assert response.json() == {"problem_id": "aplusb", "queued": 1, "submission_ids": [wrong]}
    [sent] = ctx.aws.receive(ctx.aws.submission_queue)
    message = SubmissionMessage.from_json(sent["Body"])
    assert (message.submission_id, message.attempt_base, message.with_dispatch(1, "m").attempt) == (wrong, 1000, 1001)
    view = ctx.view(wrong)
    assert (view["status"], view["verdict"]) == ("QUEUED", None)
    [earlier] = view["history"]
    assert (earlier["attempt"], earlier["status"], earlier["verdict"]) == (1, "JUDGED", "WRONG_ANSWER")
    assert (ctx.view(right)["status"], ctx.view(running)["status"]) == ("JUDGED", "JUDGING")

    assert ctx.apply(CompletionMessage.judged(wrong, 1, result(Verdict.WRONG_ANSWER))) == "stale"  # late, earlier
    assert ctx.apply(CompletionMessage.judging(wrong, 1001)) == "applied"
    assert ctx.apply(CompletionMessage.judged(wrong, 1001, result(Verdict.ACCEPTED))) == "applied"
    assert (ctx.view(wrong)["verdict"], len(ctx.view(wrong)["history"])) == ("ACCEPTED", 1)


def test_a_second_rejudge_starts_above_the_first(ctx):
    sid = ctx.submission("JUDGED", Verdict.ACCEPTED)
    ctx.client.post("/v1/problems/aplusb/rejudge", headers=ctx.admin)
    ctx.apply(CompletionMessage.judged(sid, 1001, result(Verdict.WRONG_ANSWER)))
    assert ctx.client.post("/v1/problems/aplusb/rejudge", headers=ctx.admin).json()["queued"] == 1
    bases = sorted(SubmissionMessage.from_json(m["Body"]).attempt_base for m in ctx.aws.receive(ctx.aws.submission_queue))
    assert bases == [1000, 2000]
    assert [h["verdict"] for h in ctx.view(sid)["history"]] == ["ACCEPTED", "WRONG_ANSWER"]
