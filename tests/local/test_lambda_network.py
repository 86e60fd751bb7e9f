"""The sandbox network's rules, without LocalStack: which groups isolate, which requests pass."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "local" / "localstack" / "lambda_local_executor"))

from lambda_local_executor import network

PRESIGNED = ("GET /bucket/testdata/1.in?X-Amz-Algorithm=AWS4-HMAC-SHA256"
             "&X-Amz-Credential=AKID%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261201T000000Z"
             "&X-Amz-Expires=120&X-Amz-SignedHeaders=host&X-Amz-Signature=abc HTTP/1.1\r\nHost: 127.0.0.1:4566")


def test_only_prefix_list_egress_isolates_a_function():
    s3_only = {"IpPermissionsEgress": [{"IpProtocol": "tcp", "PrefixListIds": [{"PrefixListId": "pl-1"}]}]}
    anywhere = {"IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}
    to_group = {"IpPermissionsEgress": [{"IpProtocol": "tcp", "UserIdGroupPairs": [{"GroupId": "sg-db"}]}]}
    assert network.mode_for([s3_only]) == network.mode_for([{"IpPermissionsEgress": []}]) == network.S3_ONLY
    assert network.mode_for([anywhere]) == network.mode_for([s3_only, to_group]) == network.SHARED
    assert network.mode_for([]) == network.SHARED


def test_only_presigned_s3_object_requests_pass():
    assert network.refusal(PRESIGNED.encode()) is None
    assert network.refusal(PRESIGNED.replace("GET", "PUT", 1).encode()) is None
    assert "method" in network.refusal(PRESIGNED.replace("GET", "DELETE", 1).encode())
    assert "presigned" in network.refusal(b"GET /bucket/key HTTP/1.1\r\nHost: x")
    assert "only presigned" in network.refusal((PRESIGNED + "\r\nAuthorization: AWS4-HMAC-SHA256 x").encode())
    assert "another service" in network.refusal(PRESIGNED.replace("%2Fs3%2F", "%2Fsqs%2F").encode())
    assert "object" in network.refusal(PRESIGNED.replace("/bucket/testdata/1.in", "/bucket").encode())
    assert "chunked" in network.refusal((PRESIGNED + "\r\nTransfer-Encoding: chunked").encode())
    assert "Content-Length" in network.refusal((PRESIGNED + "\r\nContent-Length: -1").encode())
    assert network.refusal(b"\xff garbage") is not None
