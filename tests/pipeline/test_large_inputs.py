"""Large inputs travel as presigned S3 GETs (moto for S3): staged once, signed per batch, short-lived."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from moto import mock_aws

from contracts.sandbox_protocol import RunReply
from judge.languages import LANGUAGES
from judge.runner import Artifact, CompileOutcome, TestInput
from judge.sandbox.api import Limits, Observation, Outcome
from pipeline import lambda_runner
from pipeline.lambda_runner import PRESIGNED_URL_TTL_S, LambdaRunner


class Recorder:
    """A sandbox function that records each request and answers every test OK."""

    def __init__(self):
        self.requests = []

    def invoke(self, FunctionName, InvocationType, Payload):
        request = json.loads(Payload)
        self.requests.append(request)
        reply = RunReply()
        for _ in request["tests"]:
            reply.add(Observation(Outcome.OK, 0, None, 1, 1, 1))
        body = json.dumps(reply.to_wire()).encode()

        class Body:
            def read(self):
                return body

        return {"Payload": Body()}


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket="oj-submissions", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield client


def test_large_inputs_are_staged_once_and_signed_per_batch_for_minutes(tmp_path, s3, monkeypatch):
    monkeypatch.setattr(lambda_runner, "INLINE_INPUT_LIMIT", 10)
    monkeypatch.setattr(lambda_runner, "MAX_REQUEST_BYTES", 3000)  # one URL test per batch
    tests = []
    for i in range(3):
        path = tmp_path / f"{i}.in"
        path.write_bytes(b"x" * 100)  # the same content: one object
        tests.append(TestInput(str(i), path))
    client = Recorder()
    runner = LambdaRunner(client, "sandbox", s3, "oj-submissions")
    compiled = CompileOutcome(True, "", Artifact({"main": (0o755, b"bin")}))
    for _ in range(2):
        assert len(runner.run(LANGUAGES["c"], compiled, tests, Limits())) == 3
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="oj-submissions")["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("testdata/")
    # Another worker environment (a fresh runner) finds the object staged and uploads nothing.
    uploads = []
    other = LambdaRunner(client, "sandbox", s3, "oj-submissions")
    monkeypatch.setattr(s3, "upload_file", lambda *a, **k: uploads.append(a))
    other.run(LANGUAGES["c"], compiled, tests[:1], Limits())
    assert uploads == []
    urls = [t["input_url"] for request in client.requests for t in request["tests"]]
    assert len(urls) == 7 and len(client.requests) >= 4
    for url in urls:
        query = parse_qs(urlparse(url).query)
        expires = query.get("X-Amz-Expires", query.get("Expires"))
        assert expires is not None
        if "X-Amz-Expires" in query:
            assert int(expires[0]) == PRESIGNED_URL_TTL_S <= 300


def test_a_403_on_the_staging_check_is_an_absent_object_as_aws_answers_without_list_bucket(tmp_path, s3,
                                                                                          monkeypatch):
    """The workers may Get and Put testdata/* but not list the bucket, so S3 answers a HEAD of a key
    not yet staged with 403 (moto, without IAM, answers 404): the input must be uploaded, not fail."""
    from botocore.exceptions import ClientError

    monkeypatch.setattr(lambda_runner, "INLINE_INPUT_LIMIT", 10)
    path = tmp_path / "big.in"
    path.write_bytes(b"y" * 100)

    def forbidden(**kwargs):
        raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadObject")

    monkeypatch.setattr(s3, "head_object", forbidden)
    runner = LambdaRunner(Recorder(), "sandbox", s3, "oj-submissions")
    compiled = CompileOutcome(True, "", Artifact({"main": (0o755, b"bin")}))
    assert len(runner.run(LANGUAGES["c"], compiled, [TestInput("1", path)], Limits())) == 1
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="oj-submissions")["Contents"]][0].startswith("testdata/")


class DiesOnBatches(Recorder):
    """A sandbox whose runtime dies whenever a call holds more than one test (interference)."""

    def __init__(self, events):
        super().__init__()
        self.events = events

    def invoke(self, FunctionName, InvocationType, Payload):
        urls = [t["input_url"] for t in json.loads(Payload)["tests"]]
        self.events.append(("call", urls))
        if len(urls) > 1:
            body = json.dumps({"errorType": "Runtime.ExitError", "errorMessage": "signal: killed"}).encode()

            class Body:
                def read(self):
                    return body

            return {"Payload": Body(), "FunctionError": "Unhandled"}
        return super().invoke(FunctionName, InvocationType, Payload)


def test_tests_run_again_one_by_one_get_urls_signed_for_their_own_call(tmp_path, s3, monkeypatch):
    """Each call of the one-by-one rerun can last the sandbox's timeout: a URL signed for the batch
    would have expired by the later ones."""
    monkeypatch.setattr(lambda_runner, "INLINE_INPUT_LIMIT", 10)
    events = []
    sign = s3.generate_presigned_url

    def signing(*args, **kwargs):
        url = sign(*args, **kwargs)
        events.append(("sign", url))
        return url

    monkeypatch.setattr(s3, "generate_presigned_url", signing)
    tests = []
    for i in range(3):
        (tmp_path / f"{i}.in").write_bytes(b"%d" % i * 100)
        tests.append(TestInput(str(i), tmp_path / f"{i}.in"))
    runner = LambdaRunner(DiesOnBatches(events), "sandbox", s3, "oj-submissions")
    compiled = CompileOutcome(True, "", Artifact({"main": (0o755, b"bin")}))
    assert len(runner.run(LANGUAGES["c"], compiled, tests, Limits())) == 3
    assert [len(urls) for kind, urls in events if kind == "call"] == [3, 1, 1, 1]
    signed_since_last_call = set()
    for kind, value in events:
        if kind == "sign":
            signed_since_last_call.add(value)
        else:
            assert set(value) <= signed_since_last_call, "a call carried a URL signed before an earlier call"
            signed_since_last_call = set()
