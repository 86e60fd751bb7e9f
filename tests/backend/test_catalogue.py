"""Discovery: GET /v1/languages and /v1/problems[/{id}] against real MariaDB and LocalStack S3, with
problems imported as a setter imports them (the package bucket, and the legacy database chunks)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend import admin
from backend.api import ApiConfig, create_app
from judge.languages import LANGUAGES
from store import repositories as repo
from store.packages import PackageBucket, package_samples

PROBLEMS = Path(__file__).resolve().parents[2] / "problems"


@pytest.fixture
def ctx(db, aws):
    admin.import_problem(db, PROBLEMS / "aplusb", packages=PackageBucket(aws.s3, aws.bucket))
    # Restricted, and stored the older way (chunks in the database, no bucket object).
    admin.import_problem(db, PROBLEMS / "floatsum", problem_id="locked", restricted=True)
    _, alice = admin.create_user(db, "alice")
    _, bob = admin.create_user(db, "bob")
    admin.grant(db, "alice", "locked")
    client = TestClient(create_app(ApiConfig(aws.bucket, aws.submission_queue), db=db, s3=aws.s3, sqs=aws.sqs))
    return client, db, {"Authorization": f"Bearer {alice}"}, {"Authorization": f"Bearer {bob}"}


def test_languages_are_the_table_with_the_version_a_sandbox_reported(ctx):
    client, db, alice, _ = ctx
    r = client.get("/v1/languages", headers=alice)
    assert r.status_code == 200, r.text
    languages = {entry["name"]: entry for entry in r.json()["languages"]}
    assert list(languages) == list(LANGUAGES)
    cpp = languages["cpp"]
    assert (cpp["compiler"], cpp["source_file_name"], cpp["run_command"]) == ("g++", "Main.cpp", "./main")
    assert cpp["compile_command"] == "g++ -std=gnu++20 -O2 -pipe -static -s -fuse-ld=gold -Wl,--gc-sections -o main Main.cpp"
    assert languages["java"]["run_command"].startswith("java -Xmx256m ") and languages["java"]["compiler"] == "javac"
    assert cpp["compiler_version"] is None  # no sandbox has compiled C++ yet: unknown, not made up

    with db.transaction() as cur:
        repo.record_toolchain(cur, "cpp", "g++ (Debian 12.2.0-14) 12.2.0")
        repo.record_toolchain(cur, "cpp", "g++ (Debian 12.2.0-15) 12.2.0")  # a newer layer: the latest wins
    cpp = next(e for e in client.get("/v1/languages", headers=alice).json()["languages"] if e["name"] == "cpp")
    assert cpp["compiler_version"] == "g++ (Debian 12.2.0-15) 12.2.0" and cpp["version_reported_at"]


def test_problem_list_says_who_may_submit_and_shows_no_samples(ctx):
    client, _, alice, bob = ctx
    for auth, may in ((alice, True), (bob, False)):
        r = client.get("/v1/problems", headers=auth)
        assert r.status_code == 200, r.text
        listed = {p["problem_id"]: p for p in r.json()["problems"]}
        assert set(listed) == {"aplusb", "locked"}
        assert listed["aplusb"]["may_submit"] is True and listed["locked"]["may_submit"] is may
        assert listed["aplusb"]["name"] and listed["aplusb"]["type"] == "pass-fail"
        assert listed["aplusb"]["limits"]["memory_mib"] > 0
        assert "samples" not in listed["aplusb"]


def test_problem_samples_come_from_the_package_in_the_bucket(ctx):
    client, _, _, bob = ctx
    r = client.get("/v1/problems/aplusb", headers=bob)
    assert r.status_code == 200, r.text
    sample = PROBLEMS / "aplusb" / "data" / "sample"
    assert r.json()["samples"] == [{"name": "1", "input": (sample / "1.in").read_text(),
                                    "output": (sample / "1.ans").read_text(), "truncated": False}]


def test_a_restricted_problem_shows_its_samples_only_to_a_granted_user(ctx):
    client, _, alice, bob = ctx
    sample = PROBLEMS / "floatsum" / "data" / "sample"
    locked = client.get("/v1/problems/locked", headers=bob)
    assert locked.status_code == 200 and locked.json()["may_submit"] is False
    assert locked.json()["samples"] is None
    assert (sample / "1.in").read_text().strip() not in locked.text
    granted = client.get("/v1/problems/locked", headers=alice).json()  # read from the database chunks
    assert granted["may_submit"] is True
    assert [(s["input"], s["output"]) for s in granted["samples"]] == [
        ((sample / "1.in").read_text(), (sample / "1.ans").read_text())]


def test_unknown_problem_and_missing_token_are_refused_with_codes(ctx):
    client, _, alice, _ = ctx
    r = client.get("/v1/problems/nope", headers=alice)
    assert r.status_code == 404 and r.json()["error"] == "problem_not_found"
    for path in ("/v1/languages", "/v1/problems", "/v1/problems/aplusb"):
        r = client.get(path)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized", path


def test_samples_are_capped_and_only_data_sample_is_read():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, body in (("data/sample/2.in", b"x" * 100), ("data/sample/2.ans", b"ok\n"),
                           ("data/sample/1.in", b"1\n"), ("data/secret/1.in", b"hidden"),
                           ("data/secret/1.ans", b"hidden answer")):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    samples = package_samples(raw.getvalue(), max_bytes=10)
    assert [(s.name, s.input, s.answer, s.truncated) for s in samples] == [
        ("1", b"1\n", None, False), ("2", b"x" * 10, b"ok\n", True)]


def test_the_openapi_document_has_the_discovery_routes_with_examples(ctx):
    client = ctx[0]
    doc = client.get("/openapi.json").json()
    assert {"/v1/languages", "/v1/problems", "/v1/problems/{problem_id}"} <= set(doc["paths"])
    schemas = doc["components"]["schemas"]
    for name in ("LanguageView", "ProblemSummary", "ProblemView"):
        [example] = schemas[name]["examples"]
        assert set(example) == set(schemas[name]["properties"]), name  # every field shown
    assert schemas["LanguageView"]["properties"]["name"]["enum"] == list(LANGUAGES)
    assert "404" in doc["paths"]["/v1/problems/{problem_id}"]["get"]["responses"]


def test_a_package_missing_from_the_bucket_is_a_503_with_a_code(ctx, aws):
    client, db, alice, _ = ctx
    with db.transaction() as cur:
        cur.execute("SELECT object_key FROM package_objects")
        [row] = cur.fetchall()
    aws.s3.delete_object(Bucket=aws.bucket, Key=row["object_key"])
    r = client.get("/v1/problems/aplusb", headers=alice)
    assert r.status_code == 503 and r.json()["error"] == "samples_unavailable"
