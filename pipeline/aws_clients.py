"""The AWS clients the worker needs, configured for what they carry (not the SDK's defaults).

- The sandbox invoke is one long synchronous call: the SDK's 60 s read timeout would cut a batch
  that is still running, and its retries would start the same batch again beside the first. So the
  read timeout is the sandbox function's own timeout plus a margin, and the SDK never retries it
  (the worker decides what a failed call means: lambda_runner.py).
- Presigned URLs are fetched by the sandbox through its S3 gateway endpoint, which serves only the
  regional S3 names: they are signed with SigV4 for `<bucket>.s3.<region>.amazonaws.com`, never the
  global `s3.amazonaws.com` (or SigV2) the SDK may pick. A local endpoint (AWS_ENDPOINT_URL, the
  LocalStack stack) is kept as it is, path-style, and signed with SigV4 too: the SDK presigns S3
  URLs with SigV2 unless told otherwise, and LocalStack, which checks presigned URLs as S3 does
  (local/stack.py), refuses SigV2 URLs signed with a session token, which is what a function has.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

INVOKE_MARGIN_S = 15  # beyond the sandbox's own timeout: Lambda's own reply to a timed-out call
CONNECT_TIMEOUT_S = 5


def sandbox_invoke_config(sandbox_timeout_s: float):
    from botocore.config import Config

    return Config(read_timeout=sandbox_timeout_s + INVOKE_MARGIN_S, connect_timeout=CONNECT_TIMEOUT_S,
                  retries={"total_max_attempts": 1, "mode": "standard"}, tcp_keepalive=True)


def sandbox_lambda_client(sandbox_timeout_s: float, session=None):
    import boto3

    return (session or boto3).client("lambda", config=sandbox_invoke_config(sandbox_timeout_s))


def presigning_s3_client(region: str | None = None, env: Mapping[str, str] | None = None, session=None):
    """An S3 client whose presigned URLs the sandbox's S3 gateway endpoint can serve."""
    import boto3
    from botocore.config import Config

    env = os.environ if env is None else env
    region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    local = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    config = Config(signature_version="s3v4", s3={"addressing_style": "path" if local else "virtual"})
    endpoint = local or f"https://s3.{region}.amazonaws.com"
    return (session or boto3).client("s3", region_name=region, endpoint_url=endpoint, config=config)
