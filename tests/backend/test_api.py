"""The intake API against real MariaDB and LocalStack S3/SQS."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from backend import admin
from backend.api import ApiConfig, create_app
from backend.api.app import MAX_SOURCE_BYTES
from backend.intake import NewSubmission, Rejected, check_submission
from contracts.errors import MessageError
from contracts.messages import LANGUAGE, LANGUAGES, PROBLEM_ID, SubmissionMessage, s3_code_path
from store import repositories as repo

SOURCE = "a, b = map(int, input().split())\nprint(a + b)\n"


@pytest.fixture
def setup(db, aws):
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("aplusb", "A plus B", "pass-fail", {"time_limit_s": 1.0}, "0" * 64, False))
        repo.upsert_problem(cur, repo.Problem("secret", "Secret", "pass-fail", {}, "0" * 64, True))
    alice, alice_token = admin.create_user(db, "alice")
    bob, bob_token = admin.create_user(db, "bob")
    app = create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs)

    class Ctx:
        pass

    ctx = Ctx()
    ctx.db, ctx.aws, ctx.app, ctx.client = db, aws, app, TestClient(app)
    ctx.alice, ctx.bob = alice, bob
    ctx.alice_auth = {"Authorization": f"Bearer {alice_token}"}
    ctx.bob_auth = {"Authorization": f"Bearer {bob_token}"}
    return ctx


def submit(ctx, auth=None, headers=None, **body):
    payload = {"problem_id": "aplusb", "language": "python", "source_code": SOURCE, **body}
    return ctx.client.post("/v1/submissions", json=payload, headers={**(auth or ctx.alice_auth), **(headers or {})})


def count_rows(db) -> int:
    with db.transaction() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM submissions")
        return cur.fetchone()["n"]


def test_submit_stores_row_object_and_message(setup):
    ctx = setup
    r = submit(ctx, language="cpp", source_code="int main(){}\n// héllo\n")
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "QUEUED"
    sid = body["submission_id"]
    key = f"submissions/{sid}/Main.cpp"

    obj = ctx.aws.s3.get_object(Bucket=ctx.aws.bucket, Key=key)
    assert obj["Body"].read() == "int main(){}\n// héllo\n".encode()
    assert obj["ServerSideEncryption"] == "AES256"
    assert ctx.aws.s3.head_object(Bucket=ctx.aws.bucket, Key=key)["ServerSideEncryption"] == "AES256"

    [msg] = ctx.aws.receive(ctx.aws.submission_queue)
    assert json.loads(msg["Body"]) == {
        "version": 1,
        "submission_id": sid,
        "problem_id": "aplusb",
        "user_id": ctx.alice.id,
        "language": "cpp",
        "s3_code_path": f"s3://{ctx.aws.bucket}/{key}",
    }
    SubmissionMessage.from_json(msg["Body"])  # and the dispatcher will accept it

    with ctx.db.transaction() as cur:
        row = repo.get_submission(cur, sid)
    assert (row["status"], row["user_id"], row["language"], row["attempt"]) == ("QUEUED", ctx.alice.id, "cpp", 0)
    assert row["s3_code_path"] == f"s3://{ctx.aws.bucket}/{key}"
    [sent] = outbox(ctx.db)  # committed with the row, sent at once, stamped
    assert (sent["submission_id"], sent["purpose"], sent["body"]) == (sid, "intake", msg["Body"])
    assert sent["sent_at"] is not None and sent["send_failures"] == 0


@pytest.mark.parametrize("language, name", [("python", "Main.py"), ("c", "Main.c"), ("java", "Main.java")])
def test_object_name_per_language(setup, language, name):
    r = submit(setup, language=language)
    assert r.status_code == 202
    sid = r.json()["submission_id"]
    setup.aws.s3.head_object(Bucket=setup.aws.bucket, Key=f"submissions/{sid}/{name}")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer not-a-token"}])
def test_unauthenticated_is_401(setup, headers):
    r = setup.client.post("/v1/submissions", json={"problem_id": "aplusb", "language": "python",
                                                    "source_code": SOURCE}, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert setup.client.get("/v1/submissions/x", headers=headers).status_code == 401
    assert count_rows(setup.db) == 0


def test_restricted_problem_needs_a_grant(setup):
    r = submit(setup, problem_id="secret")
    assert r.status_code == 403 and "restricted" in r.json()["message"]
    admin.grant(setup.db, "alice", "secret")
    assert submit(setup, problem_id="secret").status_code == 202


def test_user_id_must_match_the_token(setup):
    r = submit(setup, user_id=setup.bob.id)
    assert r.status_code == 403 and "user_id" in r.json()["message"]
    assert submit(setup, user_id=setup.alice.id).status_code == 202


@pytest.mark.parametrize(
    "body, status, code, fragment",
    [
        ({"problem_id": "nope"}, 404, "problem_not_found", "nope"),
        ({"language": "rust"}, 422, "invalid_request", "language"),
        ({"source_code": ""}, 422, "empty_source", "empty"),
        ({"source_code": " \n\t"}, 422, "empty_source", "empty"),
        ({"source_code": "x" * (MAX_SOURCE_BYTES + 1)}, 413, "source_too_large", str(MAX_SOURCE_BYTES)),
        ({"source_code": "é" * (MAX_SOURCE_BYTES // 2 + 1)}, 413, "source_too_large", "bytes"),  # UTF-8 bytes count
        ({"source_code": 5}, 422, "invalid_request", "source_code"),
        ({"problem_id": ""}, 422, "invalid_request", "problem_id"),
        # MySQL's PAD SPACE collation would match "aplusb " to the problem; the contract would not
        ({"problem_id": "aplusb "}, 422, "invalid_problem_id", "problem_id"),
        ({"problem_id": "../etc"}, 422, "invalid_problem_id", "problem_id"),
        # Python's `$` matches before a trailing newline: the rule is a full match
        ({"problem_id": "aplusb\n"}, 422, "invalid_problem_id", "problem_id"),
        ({"extra": 1}, 422, "invalid_request", "extra"),
    ],
)
def test_bad_requests_get_a_clear_4xx(setup, body, status, code, fragment):
    r = submit(setup, **body)
    assert r.status_code == status, r.text
    assert r.json()["error"] == code
    assert fragment in r.json()["message"]
    assert count_rows(setup.db) == 0
    assert setup.aws.receive(setup.aws.submission_queue) == []


@pytest.mark.parametrize("field, value", [
    ("problem_id", "aplusb "), ("problem_id", "aplusb\n"), ("problem_id", " aplusb"), ("problem_id", "a/b"),
    ("problem_id", "-x"), ("problem_id", "x" * 65), ("problem_id", "x" * 64), ("problem_id", "a.b_c-1"),
    ("language", "cobol"), ("language", "python "), ("language", "cpp"),
])
def test_intake_refuses_exactly_what_the_message_contract_refuses(field, value):
    """One rule per field, declared in contracts.messages: intake answers 422 with the rule's code for
    precisely the values the dispatcher and the worker would refuse."""
    user = repo.User("u-1", "alice")
    fields = {"problem_id": "aplusb", "language": "python", field: value}
    try:
        SubmissionMessage("0b7f2d1c-8f0e-4a57-9a55-3c1f0e2d9b11", fields["problem_id"], user.id, fields["language"],
                          s3_code_path("bucket-1", "0b7f2d1c-8f0e-4a57-9a55-3c1f0e2d9b11", fields["language"])
                          if fields["language"] in LANGUAGES else "s3://bucket-1/submissions/x/Main.x")
        contract_refuses = False
    except MessageError:
        contract_refuses = True
    try:
        check_submission(user, NewSubmission(fields["problem_id"], fields["language"], "print(1)"), None)
        intake_code = None
    except Rejected as rejected:
        intake_code = rejected.code
    expected = {"problem_id": PROBLEM_ID.code, "language": LANGUAGE.code}[field] if contract_refuses else None
    assert intake_code == expected


def test_a_submission_no_message_could_carry_is_refused_before_anything_is_written(setup):
    """The last guard: the message is built before the first write, so a value only the contract
    refuses (here a user id from outside intake's checks) is a 422, never a row without its message."""
    intake = setup.app.state.intake
    with pytest.raises(Rejected) as refused:
        intake.submit(repo.User("not an id", "mallory"), NewSubmission("aplusb", "python", SOURCE))
    assert (refused.value.status, refused.value.code) == (422, "invalid_submission")
    assert "user_id" in refused.value.message
    assert count_rows(setup.db) == 0 and outbox(setup.db) == []
    assert setup.aws.s3.list_objects_v2(Bucket=setup.aws.bucket).get("KeyCount", 0) == 0


def test_source_at_the_limit_is_accepted(setup):
    assert submit(setup, source_code="#" * MAX_SOURCE_BYTES).status_code == 202


def test_missing_field_and_malformed_json(setup):
    r = setup.client.post("/v1/submissions", json={"problem_id": "aplusb", "language": "python"},
                          headers=setup.alice_auth)
    assert r.status_code == 422 and "source_code" in r.json()["message"]
    r = setup.client.post("/v1/submissions", content=b"{not json", headers={**setup.alice_auth,
                                                                             "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"


def test_non_utf8_is_422(setup):
    # Raw bytes that are not UTF-8 ...
    raw = b'{"problem_id": "aplusb", "language": "c", "source_code": "int main(){}\xff\xfe"}'
    r = setup.client.post("/v1/submissions", content=raw, headers={**setup.alice_auth,
                                                                    "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "body_not_utf8"
    # ... and valid JSON whose string is not encodable as UTF-8 (a lone surrogate escape).
    raw = b'{"problem_id": "aplusb", "language": "c", "source_code": "int main(){} \\udc80"}'
    r = setup.client.post("/v1/submissions", content=raw, headers={**setup.alice_auth,
                                                                    "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "source_not_utf8"
    assert count_rows(setup.db) == 0


def test_huge_body_is_413_before_parsing(setup):
    r = setup.client.post("/v1/submissions", content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                          headers={**setup.alice_auth, "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


def test_idempotency_key_returns_the_same_submission(setup):
    key = {"Idempotency-Key": "retry-123"}
    first = submit(setup, headers=key)
    second = submit(setup, headers=key)
    assert first.status_code == second.status_code == 202
    assert first.json()["submission_id"] == second.json()["submission_id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert count_rows(setup.db) == 1
    assert len(setup.aws.receive(setup.aws.submission_queue)) == 1
    # The key is per user: bob's identical key is another submission.
    third = submit(setup, auth=setup.bob_auth, headers=key)
    assert third.status_code == 202 and third.json()["submission_id"] != first.json()["submission_id"]
    # The same key with another body is refused.
    other = submit(setup, headers=key, source_code="print(1)\n")
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"
    assert submit(setup, headers={"Idempotency-Key": "has space"}).status_code == 422


def test_concurrent_requests_with_one_key_make_one_submission(setup):
    ids, barrier = [], threading.Barrier(5)

    def go():
        barrier.wait()
        r = submit(setup, headers={"Idempotency-Key": "race"})
        ids.append((r.status_code, r.json().get("submission_id")))

    threads = [threading.Thread(target=go) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {status for status, _ in ids} == {202}
    assert len({sid for _, sid in ids}) == 1
    assert count_rows(setup.db) == 1


def test_s3_failure_writes_nothing_and_answers_503(setup):
    ctx = setup
    app = create_app(ApiConfig("no-such-bucket-" + ctx.aws.bucket[2:], ctx.aws.submission_queue), db=ctx.db,
                     s3=ctx.aws.s3, sqs=ctx.aws.sqs)
    r = TestClient(app).post("/v1/submissions", json={"problem_id": "aplusb", "language": "python",
                                                      "source_code": SOURCE},
                             headers={**ctx.alice_auth, "Idempotency-Key": "k"})
    assert r.status_code == 503 and r.json()["error"] == "unavailable"
    assert count_rows(ctx.db) == 0 and outbox(ctx.db) == []  # no row, no message: nothing to be stuck
    assert ctx.aws.receive(ctx.aws.submission_queue) == []
    # The key was never claimed: a retry through a healthy API makes the submission.
    retry = submit(ctx, headers={"Idempotency-Key": "k"})
    assert retry.status_code == 202 and retry.headers.get("Idempotent-Replayed") is None


def test_sqs_refusing_the_send_still_accepts_and_the_relay_sends_it_later(setup):
    ctx = setup
    refusing = RefusingSqs(ctx.aws.sqs)
    app = create_app(ApiConfig(ctx.aws.bucket, ctx.aws.submission_queue), db=ctx.db, s3=ctx.aws.s3, sqs=refusing)
    r = TestClient(app).post("/v1/submissions", json={"problem_id": "aplusb", "language": "python",
                                                      "source_code": SOURCE}, headers=ctx.alice_auth)
    assert r.status_code == 202 and r.json()["status"] == "QUEUED", r.text
    sid = r.json()["submission_id"]
    [pending] = outbox(ctx.db)
    assert (pending["submission_id"], pending["sent_at"], pending["send_failures"]) == (sid, None, 1)
    assert "refused" in pending["last_error"]
    assert ctx.aws.receive(ctx.aws.submission_queue) == []

    refusing.refuse = False  # SQS is back: the next pass of the relay sends it, once
    assert app.state.intake.relay.relay_pending().sent == 1
    assert app.state.intake.relay.relay_pending().sent == 0
    [message] = ctx.aws.receive(ctx.aws.submission_queue)
    assert SubmissionMessage.from_json(message["Body"]).submission_id == sid
    assert outbox(ctx.db)[0]["sent_at"] is not None


def test_the_background_relay_runs_with_the_server(setup):
    ctx = setup
    refusing = RefusingSqs(ctx.aws.sqs)
    app = create_app(ApiConfig(ctx.aws.bucket, ctx.aws.submission_queue), db=ctx.db, s3=ctx.aws.s3, sqs=refusing,
                     relay_interval_s=0.2)
    with TestClient(app) as client:  # the context runs the lifespan, as uvicorn does
        r = client.post("/v1/submissions", json={"problem_id": "aplusb", "language": "python",
                                                 "source_code": SOURCE}, headers=ctx.alice_auth)
        assert r.status_code == 202
        refusing.refuse = False
        deadline = time.monotonic() + 10
        while outbox(ctx.db)[0]["sent_at"] is None:
            assert time.monotonic() < deadline, "the background relay did not send the message"
            time.sleep(0.1)
    assert len(ctx.aws.receive(ctx.aws.submission_queue)) == 1


class RefusingSqs:
    """The SQS client, refusing sends while `refuse` is set (as a throttled or unreachable SQS would)."""

    def __init__(self, sqs):
        self.sqs, self.refuse = sqs, True

    def send_message_batch(self, **kwargs):
        if self.refuse:
            raise ConnectionError("SQS refused the connection")
        return self.sqs.send_message_batch(**kwargs)


def outbox(db) -> list[dict]:
    with db.transaction() as cur:
        cur.execute("SELECT submission_id, purpose, body, sent_at, send_failures, last_error FROM outbox ORDER BY id")
        return list(cur.fetchall())


def test_get_is_owner_only_and_shows_results(setup):
    ctx = setup
    sid = submit(ctx).json()["submission_id"]
    r = ctx.client.get(f"/v1/submissions/{sid}", headers=ctx.alice_auth)
    assert r.status_code == 200
    view = r.json()
    assert (view["status"], view["verdict"], view["tests"], view["problem_id"]) == ("QUEUED", None, [], "aplusb")

    assert ctx.client.get(f"/v1/submissions/{sid}", headers=ctx.bob_auth).status_code == 404
    assert ctx.client.get("/v1/submissions/00000000-0000-0000-0000-000000000000",
                          headers=ctx.alice_auth).status_code == 404
    assert ctx.client.get("/v1/submissions/" + "x" * 100, headers=ctx.alice_auth).status_code == 404

    result = {"schema_version": 1, "verdict": "WRONG_ANSWER", "score": None, "time_ms": 40, "memory_kb": 9000,
              "compile_output": "warning: unused", "tests": [
                  {"name": "sample/1", "group": "sample", "verdict": "ACCEPTED", "time_ms": 10},
                  {"name": "secret/1", "group": "secret", "verdict": "WRONG_ANSWER", "time_ms": 40}]}
    with ctx.db.transaction() as cur:
        repo.apply_status(cur, sid, 1, "JUDGED", result=result)
    view = ctx.client.get(f"/v1/submissions/{sid}", headers=ctx.alice_auth).json()
    assert (view["status"], view["verdict"], view["time_ms"], view["memory_kb"]) == ("JUDGED", "WRONG_ANSWER", 40, 9000)
    assert [t["name"] for t in view["tests"]] == ["sample/1", "secret/1"]
    assert view["compile_output"] == "warning: unused" and view["failure_reason"] is None


def test_healthz_checks_the_database(setup, db_config):
    assert setup.client.get("/healthz").json() == {"status": "ok"}
    from store import Database, DbConfig

    dead = Database(DbConfig("127.0.0.1", 1, "x", "y", connect_timeout=1))
    app = create_app(ApiConfig(setup.aws.bucket, setup.aws.submission_queue), db=dead, s3=setup.aws.s3,
                     sqs=setup.aws.sqs)
    r = TestClient(app).get("/healthz")
    assert r.status_code == 503 and r.json()["error"] == "database_unavailable"
    # A request that needs the database answers 503 too, never a 500: the client retries later.
    r = TestClient(app).post("/v1/submissions", json={"problem_id": "aplusb", "language": "python",
                                                      "source_code": SOURCE}, headers=setup.alice_auth)
    assert r.status_code == 503 and r.json()["error"] == "database_unavailable"


def test_openapi_document_describes_the_api(setup):
    doc = setup.client.get("/openapi.json").json()
    assert {"/v1/submissions", "/v1/submissions/{submission_id}", "/healthz"} <= set(doc["paths"])
    schema = doc["components"]["schemas"]["SubmissionRequest"]
    assert schema["properties"]["language"]["enum"] == ["python", "c", "cpp", "java"]
    assert "202" in doc["paths"]["/v1/submissions"]["post"]["responses"]


def test_config_from_env(monkeypatch):
    with pytest.raises(RuntimeError, match="SUBMISSIONS_BUCKET"):
        ApiConfig.from_env({"SUBMISSION_QUEUE_URL": "q"})
    assert ApiConfig.from_env({"SUBMISSIONS_BUCKET": "b", "SUBMISSION_QUEUE_URL": "q"}) == ApiConfig("b", "q")
