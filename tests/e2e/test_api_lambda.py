"""End to end through the API as AWS runs it: build/functions/backend_api.zip deployed as a Lambda
function in LocalStack (a local execution environment under AWS's runtime interface client, as the
stack's other functions), invoked with the events an API Gateway HTTP API sends (payload 2.0), and a
submission it takes judged by the stack's pipeline.

LocalStack community has no API Gateway v2, so the gateway itself is not here (terraform test checks
its wiring, modules/api); the function is created as modules/api creates it: the zip, its Mangum
handler, the environment of a function that reaches the database (the deployed outbox relay's: the
database by its secret ARN, no password) plus the bucket and the submission queue.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e

ZIP = REPO / "build" / "functions" / "backend_api.zip"


def http_event(method: str, path: str, token: str, body: dict | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}", "host": "local.execute-api.localhost", "user-agent": "e2e"}
    if body is not None:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": headers,
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": "local.execute-api.localhost",
            "domainPrefix": "local", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                              "sourceIp": "127.0.0.1", "userAgent": "e2e"},
            "requestId": uuid.uuid4().hex, "routeKey": "$default", "stage": "$default",
            "time": "01/Dec/2026:21:00:00 +0000", "timeEpoch": int(time.time() * 1000)},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }


@pytest.fixture(scope="module")
def api_function(stack):
    assert ZIP.is_file(), f"{ZIP} is not built: python tools/package_functions.py --out build/functions"
    lam = stack.client("lambda")
    relay = lam.get_function_configuration(FunctionName=stack.outputs["function_names"]["outbox_relay"])
    database = {k: v for k, v in relay["Environment"]["Variables"].items() if k.startswith("DB_")}
    assert "DB_SECRET_ARN" in database and "DB_PASSWORD" not in database
    name = f"{stack.name_prefix}-api"
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Handler="backend.api.lambda_entry.handler", Role=relay["Role"],
        Code={"ZipFile": ZIP.read_bytes()}, Timeout=29, MemorySize=512, Architectures=["x86_64"],
        Environment={"Variables": {
            **database, "SUBMISSIONS_BUCKET": stack.outputs["submissions_bucket_name"],
            "PACKAGE_BUCKET": stack.outputs["submissions_bucket_name"],
            "SUBMISSION_QUEUE_URL": stack.outputs["submission_queue_url"], "SUBMISSION_RATE_LIMIT": "1000/60"}})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    yield name
    lam.delete_function(FunctionName=name)


def invoke(stack, function: str, event: dict) -> dict:
    reply = stack.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
    payload = json.loads(reply["Payload"].read())
    assert "FunctionError" not in reply, payload
    return payload


def test_the_api_function_takes_a_submission_that_the_pipeline_judges(stack, api, api_function):
    token = stack.demo_token
    languages = invoke(stack, api_function, http_event("GET", "/v1/languages", token))
    assert languages["statusCode"] == 200, languages
    assert "python" in {entry["name"] for entry in json.loads(languages["body"])["languages"]}

    refused = invoke(stack, api_function, http_event("POST", "/v1/submissions", token, {
        "problem_id": "aplusb", "language": "python", "source_code": "print(1)", "extra": 1}))
    assert refused["statusCode"] == 422 and json.loads(refused["body"])["error"] == "invalid_request", refused

    source = (REPO / "problems/aplusb/submissions/accepted/sum.py").read_text()
    accepted = invoke(stack, api_function, http_event("POST", "/v1/submissions", token, {
        "problem_id": "aplusb", "language": "python", "source_code": source}))
    assert accepted["statusCode"] == 202, accepted
    sid = json.loads(accepted["body"])["submission_id"]

    judged = api.wait(sid)  # through the stack's own API: the same database, another server
    assert (judged["status"], judged["verdict"]) == ("JUDGED", "ACCEPTED"), judged
    again = invoke(stack, api_function, http_event("GET", f"/v1/submissions/{sid}", token))
    assert again["statusCode"] == 200 and json.loads(again["body"])["verdict"] == "ACCEPTED", again
