"""End to end through the backend as AWS runs it: build/functions/backend_api.zip deployed as a
Lambda function in LocalStack (a local execution environment under AWS's runtime interface client, as
the stack's other functions), invoked with the events an API Gateway HTTP API sends (payload 2.0), and
a submission it takes judged by the stack's pipeline; backend_consumer.zip behind LocalStack's own SQS
event source mapping with ReportBatchItemFailures, applying a completion and keeping a poison one.

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

from backend import admin
from contracts.messages import CompletionMessage, ProgressMessage
from judge.result import SubmissionResult, TestResult
from judge.verdict import Verdict
from store import repositories as repo
from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e

ZIP = REPO / "build" / "functions" / "backend_api.zip"
CONSUMER_ZIP = REPO / "build" / "functions" / "backend_consumer.zip"


def database_env(stack) -> dict[str, str]:
    """The database settings Terraform gave a function that reaches it (the outbox relay's)."""
    lam = stack.client("lambda")
    relay = lam.get_function_configuration(FunctionName=stack.outputs["function_names"]["outbox_relay"])
    database = {k: v for k, v in relay["Environment"]["Variables"].items() if k.startswith("DB_")}
    assert "DB_SECRET_ARN" in database and "DB_PASSWORD" not in database
    return database, relay["Role"]


def deploy(stack, name: str, zip_path, handler: str, env: dict[str, str], timeout: int) -> str:
    assert zip_path.is_file(), f"{zip_path} is not built: python tools/package_functions.py --out build/functions"
    lam = stack.client("lambda")
    database, role = database_env(stack)
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler=handler, Role=role,
                        Code={"ZipFile": zip_path.read_bytes()}, Timeout=timeout, MemorySize=512,
                        Architectures=["x86_64"], Environment={"Variables": {**database, **env}})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


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
    bucket = stack.outputs["submissions_bucket_name"]
    name = deploy(stack, f"{stack.name_prefix}-api", ZIP, "backend.api.lambda_entry.handler", {
        "SUBMISSIONS_BUCKET": bucket, "PACKAGE_BUCKET": bucket, "EVENTS_MAX_STREAM_S": "25",
        "SUBMISSION_QUEUE_URL": stack.outputs["submission_queue_url"], "SUBMISSION_RATE_LIMIT": "1000/60"}, 29)
    yield name
    stack.client("lambda").delete_function(FunctionName=name)


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


def test_the_consumer_function_applies_a_completion_and_keeps_a_poison_one(stack):
    """On a queue of the test's own (the stack's consumer thread drains the stack's completion queue),
    through LocalStack's event source mapping: a JUDGED completion ends its row JUDGED and is deleted;
    a progress the database refuses on every delivery is reported failed and stays in the queue."""
    sqs, lam = stack.client("sqs"), stack.client("lambda")
    queue = sqs.create_queue(QueueName=f"{stack.name_prefix}-consumer-e2e-{uuid.uuid4().hex[:8]}",
                             Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = deploy(stack, f"{stack.name_prefix}-consumer", CONSUMER_ZIP, "backend.consumer_lambda_entry.handler",
                  {"COMPLETION_QUEUE_URL": queue}, 30)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=10,
                                              FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
    judged_sid, poisoned_sid = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        user, _ = admin.create_user(stack.db, f"consumer-{uuid.uuid4().hex[:8]}")
        with stack.db.transaction() as cur:
            for sid in (judged_sid, poisoned_sid):  # rows no worker will ever judge: only this test writes them
                repo.insert_submission(cur, id=sid, user_id=user.id, problem_id="aplusb", language="python",
                                       s3_code_path=f"s3://none/submissions/{sid}/Main.py")
        result = SubmissionResult(Verdict.ACCEPTED, "python", time_ms=12, wall_ms=20, memory_kb=4096, tests=[
            TestResult("sample/1", "sample", Verdict.ACCEPTED, 12, 20, 4096)]).to_json()
        sqs.send_message(QueueUrl=queue, MessageBody=CompletionMessage.judged(judged_sid, 1, result).to_json())
        sqs.send_message(QueueUrl=queue, MessageBody=ProgressMessage(
            poisoned_sid, 1, 2**40, 2**40, "2026-12-01T21:00:00Z").to_json())

        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with stack.db.transaction() as cur:
                row = repo.get_submission(cur, judged_sid)
            if row["status"] == "JUDGED":
                break
            time.sleep(1)
        assert (row["status"], row["verdict"], row["time_ms"]) == ("JUDGED", "ACCEPTED", 12), row

        def depth() -> int:
            attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

        deadline = time.monotonic() + 60
        while depth() > 1 and time.monotonic() < deadline:
            time.sleep(1)
        assert depth() == 1, "the applied completion is deleted, the poison one kept for redelivery"
        with stack.db.transaction() as cur:
            assert repo.get_submission(cur, poisoned_sid)["status"] == "QUEUED"
    finally:
        lam.delete_event_source_mapping(UUID=mapping)
        lam.delete_function(FunctionName=name)
        sqs.delete_queue(QueueUrl=queue)
        with stack.db.transaction() as cur:  # rows no worker will judge: never left for the sweeper's tests
            cur.execute("UPDATE submissions SET status = 'FAILED', failure_reason = 'test row'"
                        " WHERE id = %s AND status <> 'JUDGED'", (poisoned_sid,))
