"""The worker's AWS clients: configured for a long synchronous sandbox call and for presigned URLs
the sandbox's S3 endpoint can serve (moto for S3)."""

from urllib.parse import parse_qs, urlparse

import pytest
from moto import mock_aws

from pipeline.aws_clients import INVOKE_MARGIN_S, presigning_s3_client, sandbox_lambda_client


def test_the_sandbox_call_outlives_the_sandbox_and_is_never_retried_by_the_sdk(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    client = sandbox_lambda_client(120)
    config = client.meta.config
    assert config.read_timeout == 120 + INVOKE_MARGIN_S > 60
    assert config.retries["total_max_attempts"] == 1


@pytest.mark.parametrize("region", ["eu-west-1", "us-east-1", "ap-southeast-2"])
def test_presigned_urls_are_regional_and_sigv4(region, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    with mock_aws():
        s3 = presigning_s3_client(region)
        url = urlparse(s3.generate_presigned_url("get_object", Params={"Bucket": "oj-submissions", "Key": "testdata/ab"},
                                                 ExpiresIn=120))
    assert url.scheme == "https" and url.hostname == f"oj-submissions.s3.{region}.amazonaws.com"
    query = parse_qs(url.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["120"]
    assert f"/{region}/s3/aws4_request" in query["X-Amz-Credential"][0]


def test_a_local_endpoint_is_kept(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    with mock_aws():
        url = urlparse(presigning_s3_client("us-east-1").generate_presigned_url(
            "get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=60))
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", 4566, "/b/k")
    # SigV4 here too: the SDK's default for S3 URLs is SigV2, which LocalStack refuses for the
    # session-token keys a Lambda function has (and which AWS regions launched since 2014 refuse).
    assert parse_qs(url.query)["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
