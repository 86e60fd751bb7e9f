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
