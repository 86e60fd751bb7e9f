"""Presigned URLs against the real LocalStack, which checks them as S3 does (local/stack.py sets
S3_SKIP_SIGNATURE_VALIDATION=0): what the worker signs, the sandbox can fetch, with the static keys
of this host and with the assumed-role keys a Lambda function has; anything else is a 403."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import boto3
import pytest

from contracts.sandbox_protocol import TestPayload
from pipeline.aws_clients import presigning_s3_client
from pipeline.lambda_runner import INLINE_INPUT_LIMIT, PRESIGNED_URL_TTL_S, LambdaRunner
from pipeline.sandbox_function import _fetch_input

BIG = 2 * INLINE_INPUT_LIMIT  # 2 MB: a size that goes by URL, not inline


def _session(localstack, kind: str) -> boto3.Session:
    if kind == "static":
        return boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    # What LocalStack gives a Lambda function: AssumeRole keys of its role, with a session token.
    sts = localstack.client("sts")
    role = localstack.client("iam").create_role(
        RoleName=f"presign-{time.monotonic_ns()}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    keys = sts.assume_role(RoleArn=role, RoleSessionName="worker")["Credentials"]
    return boto3.Session(aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                         aws_session_token=keys["SessionToken"], region_name="us-east-1")


@pytest.fixture(params=["static", "assumed-role"])
def presigner(request, localstack):
    """The worker's presigning client as it is built in a function on this LocalStack."""
    env = {"AWS_ENDPOINT_URL": localstack.endpoint_url, "AWS_REGION": "us-east-1"}
    return presigning_s3_client(env=env, session=_session(localstack, request.param))


def _open(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method), timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("size", [10, BIG])
def test_the_sandbox_fetches_what_the_worker_presigned(size, presigner, aws, tmp_path):
    data = bytes(range(256)) * (size // 256) + b"\n" * (size % 256)
    path = tmp_path / "big.in"
    path.write_bytes(data)
    runner = LambdaRunner(None, "sandbox", presigner, aws.bucket)
    url = runner._presigned_input(path)
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == [str(PRESIGNED_URL_TTL_S)]
    # LocalStack takes any region the URL names and signs with it; S3 wants the bucket's own region.
    region = aws.s3.get_bucket_location(Bucket=aws.bucket)["LocationConstraint"] or "us-east-1"
    assert f"/{region}/s3/aws4_request" in query["X-Amz-Credential"][0]
    fetched = _fetch_input(TestPayload("t", input_url=url), tmp_path / "fetched.in")
    assert fetched.input_path.read_bytes() == data
    assert [o["Key"] for o in aws.s3.list_objects_v2(Bucket=aws.bucket)["Contents"]] == [runner._staged[path]]


@pytest.mark.parametrize("size", [10, BIG])
def test_a_presigned_put_stores_the_body_under_its_key(size, presigner, aws):
    key = "artifacts/a b+c/ü=1.bin"  # keys that need URL-encoding
    url = presigner.generate_presigned_url("put_object", Params={"Bucket": aws.bucket, "Key": key}, ExpiresIn=60)
    query = parse_qs(urlparse(url).query)
    # No checksum of the (still empty) body baked into the URL: S3 would refuse the real body.
    assert not [name for name in query if "checksum" in name.lower()], query
    body = b"\x00\xff" * (size // 2)
    status, reply = _open(url, "PUT", body)  # urllib adds Content-Type and Content-Length, unsigned
    assert status == 200, reply
    assert aws.s3.get_object(Bucket=aws.bucket, Key=key)["Body"].read() == body


def _with_query(url: str, **changes: str) -> str:
    parts = urlparse(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return urlunparse(parts._replace(query=urlencode({**query, **changes})))


def _tampered(url: str, how: str, localstack) -> str:
    parts = urlparse(url)
    if how == "other key":
        return urlunparse(parts._replace(path=parts.path.replace("/secret", "/public")))
    if how == "signature":
        signature = parse_qs(parts.query)["X-Amz-Signature"][0]
        return _with_query(url, **{"X-Amz-Signature": signature[:-1] + ("0" if signature[-1] != "0" else "1")})
    if how == "longer life":
        return _with_query(url, **{"X-Amz-Expires": "3600"})
    if how == "other region":  # the same URL, its credential scope edited to another region
        credential = parse_qs(parts.query)["X-Amz-Credential"][0]
        return _with_query(url, **{"X-Amz-Credential": credential.replace("/us-east-1/", "/eu-west-1/")})
    if how == "other host":  # signed for 127.0.0.1:<port>, sent to localhost:<port>
        return urlunparse(parts._replace(netloc=f"localhost:{localstack.port}"))
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["other key", "signature", "longer life", "other region", "other host"])
def test_a_tampered_url_is_refused(how, presigner, aws, localstack):
    for key in ("secret", "public"):
        aws.s3.put_object(Bucket=aws.bucket, Key=key, Body=key.encode())
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": aws.bucket, "Key": "secret"}, ExpiresIn=60)
    assert _open(url) == (200, b"secret")
    status, reply = _open(_tampered(url, how, localstack))
    assert status == 403, reply
    assert b"SignatureDoesNotMatch" in reply


def test_an_expired_url_is_refused(presigner, aws):
    aws.s3.put_object(Bucket=aws.bucket, Key="k", Body=b"x")
    url = presigner.generate_presigned_url("get_object", Params={"Bucket": aws.bucket, "Key": "k"}, ExpiresIn=1)
    time.sleep(2.1)
    status, reply = _open(url)
    assert status == 403 and b"Request has expired" in reply, reply
