"""The per-user submission rate limit against a real MariaDB (and LocalStack S3/SQS behind the API):
429 with Retry-After and a code, shared by several API processes, refilled over time, replays free."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from backend import admin
from backend.api import ApiConfig, create_app
from backend.quota import QuotaConfig, RateLimit
from store import repositories as repo

SOURCE = "print(sum(map(int, input().split())))\n"


@pytest.fixture
def make_client(db, aws):
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("aplusb", "A plus B", "pass-fail", {}, "0" * 64, False))

    def make(limit: str) -> TestClient:
        """One API process: its own app (and connection pool) on the shared database."""
        quota = QuotaConfig.from_env({"SUBMISSION_RATE_LIMIT": limit})
        return TestClient(create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs,
                                     quota=quota))

    return make


def auth(db, name: str) -> dict:
    _, token = admin.create_user(db, name)
    return {"Authorization": f"Bearer {token}"}


def submit(client: TestClient, headers: dict, **body):
    return client.post("/v1/submissions", headers=headers,
                       json={"problem_id": "aplusb", "language": "python", "source_code": SOURCE, **body})


def test_over_the_limit_is_429_with_retry_after_and_a_code(db, make_client):
    client, alice, bob = make_client("3/60"), auth(db, "alice"), auth(db, "bob")
    assert [submit(client, alice).status_code for _ in range(3)] == [202, 202, 202]
    refused = submit(client, alice)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "rate_limited" and "3 submissions per 60 s" in body["message"]
    # one token comes back every 20 s: the wait is at most that, and says so in both places
    assert 1 <= int(refused.headers["Retry-After"]) <= 20 and body["retry_after_s"] == int(refused.headers["Retry-After"])
    with db.transaction() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM submissions")
        assert cur.fetchone()["n"] == 3  # the refused one left nothing behind
    assert submit(client, bob).status_code == 202  # per user


def test_several_api_processes_share_one_budget_even_at_once(db, make_client):
    clients, alice = [make_client("5/60") for _ in range(3)], auth(db, "alice")
    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(lambda i: submit(clients[i % 3], alice).status_code, range(12)))
    assert sorted(codes) == [202] * 5 + [429] * 7


def test_the_bucket_refills_with_time(db, make_client):
    # A token every 2 s: three requests, even on a loaded machine, fall within one refill.
    client, alice = make_client("2/4"), auth(db, "alice")
    assert [submit(client, alice).status_code for _ in range(3)] == [202, 202, 429]
    time.sleep(2.2)
    assert submit(client, alice).status_code == 202
    assert submit(client, alice).status_code == 429


def test_a_replayed_idempotent_request_and_a_bad_request_cost_nothing(db, make_client):
    client, alice = make_client("1/60"), auth(db, "alice")
    first = submit(client, alice, language="cobol")
    assert first.status_code == 422  # refused for its fields before the quota is asked
    key = {"Idempotency-Key": "k-1"}
    made = submit(client, {**alice, **key})
    again = submit(client, {**alice, **key})
    assert made.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["submission_id"] == made.json()["submission_id"]
    assert submit(client, alice).status_code == 429  # a new submission is over the limit


def test_off_means_no_limit_and_a_bad_setting_stops_the_start(db, make_client):
    client, alice = make_client("off"), auth(db, "alice")
    assert all(submit(client, alice).status_code == 202 for _ in range(5))
    assert QuotaConfig.from_env({}).submissions == RateLimit(30, 60)  # on by default
    assert RateLimit.parse("10 / 2.5s") == RateLimit(10, 2.5)
    for bad in ("ten per minute", "0/60", "5/0", "-1/60"):
        with pytest.raises(RuntimeError, match="SUBMISSION_RATE_LIMIT"):
            QuotaConfig.from_env({"SUBMISSION_RATE_LIMIT": bad})


def test_the_openapi_document_lists_the_429(make_client):
    doc = make_client("off").get("/openapi.json").json()
    limited = doc["paths"]["/v1/submissions"]["post"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]
    assert limited["content"]["application/json"]["example"]["error"] == "rate_limited"
