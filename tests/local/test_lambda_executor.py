"""LocalStack runs our Lambda functions as local processes: sync and async invoke, SQS event source
mappings, layers and timeouts, all through LocalStack's own Lambda service (real LocalStack)."""

from __future__ import annotations

import io
import json
import os
import time
import uuid
import zipfile

import pytest

ROLE = "arn:aws:iam::000000000000:role/lambda-test"

HANDLER = r"""
import importlib.util
import json
import os
import subprocess
import sys
import time

import boto3

print("module imported")  # init-phase output


def handler(event, context):
    if "Records" in event:
        return sqs_batch(event)
    action = event.get("action", "echo")
    if action == "echo":
        return {
            "event": event,
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "sys_path0": sys.path[0],
            "pid": os.getpid(),
            "request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "judge_importable": importlib.util.find_spec("judge") is not None,
        }
    if action == "raise":
        raise RuntimeError("deliberate failure " + event.get("tag", ""))
    if action == "sleep":
        child = subprocess.Popen(["sleep", "60"])  # a compiler or a submission, in the judge
        with open(event["pid_file"], "w") as f:
            f.write(f"{os.getpid()} {child.pid}")
        time.sleep(event["seconds"])
        return "woke up"
    if action == "layer":
        root = os.environ["JUDGE_LAYER_ROOT"]
        import layer_module  # from the layer's python/ dir, as /opt/python in AWS
        tool = subprocess.run([os.path.join(root, "gcc", "bin", "hello")], capture_output=True, text=True)
        return {"root": root, "files": sorted(os.listdir(root)), "tool_output": tool.stdout,
                "layer_module": layer_module.VALUE}
    raise ValueError(f"unknown action {action}")


def sqs_batch(event):
    # The function's own boto3 reaches LocalStack through AWS_ENDPOINT_URL: no endpoint in the code.
    sqs = boto3.client("sqs")
    failures = []
    for record in event["Records"]:
        sqs.send_message(QueueUrl=os.environ["OBSERVATIONS_QUEUE_URL"], MessageBody=json.dumps({
            "body": record["body"],
            "receive_count": int(record["attributes"]["ApproximateReceiveCount"]),
        }))
        if record["body"].startswith("fail"):
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""


def make_zip(files: dict[str, tuple[str, int]]) -> bytes:
    """A zip with Unix modes, as `zip` on Linux makes them: {name: (content, mode)}."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, (content, mode) in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, content)
    return buffer.getvalue()


FUNCTION_ZIP = make_zip({"handler.py": (HANDLER, 0o644)})


@pytest.fixture(scope="module")
def lam(localstack):
    return localstack.client("lambda")


@pytest.fixture(scope="module")
def sqs(localstack):
    return localstack.client("sqs")


def create_function(
    lam,
    name: str,
    *,
    handler: str = "handler.handler",
    timeout: int = 10,
    env: dict | None = None,
    layers: list[str] | None = None,
) -> str:
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler=handler,
        Timeout=timeout,
        Code={"ZipFile": FUNCTION_ZIP},
        Environment={"Variables": env or {}},
        Layers=layers or [],
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    return name


def invoke(lam, name: str, payload: dict) -> tuple[dict, object]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload))
    return response, json.loads(response["Payload"].read())


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def receive_all(sqs, queue_url: str, until, timeout: float = 30.0) -> list[dict]:
    """Drain queue_url into a list until until(list) is true or the timeout passes."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until(seen):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in messages.get("Messages", []):
            seen.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return seen


def test_sync_invoke_returns_payload_in_a_reused_environment(localstack, lam):
    name = create_function(lam, unique("echo"), env={"GREETING": "hello"})
    response, body = invoke(lam, name, {"x": 1})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert body["event"] == {"x": 1}
    env = body["env"]
    assert env["GREETING"] == "hello"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "handler.handler"
    assert env["AWS_ENDPOINT_URL"] == localstack.endpoint_url
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    # The code dir is the cwd and first on sys.path, like /var/task.
    assert body["cwd"] == env["LAMBDA_TASK_ROOT"] == body["sys_path0"]
    assert os.path.exists(os.path.join(body["cwd"], "handler.py"))
    assert 0 < body["remaining_ms"] <= 10_000
    # Only the zip is importable: the project's editable install is hidden, as it is absent in AWS.
    assert body["judge_importable"] is False
    # Warm invocation: same process, new request id.
    _, again = invoke(lam, name, {"x": 2})
    assert again["pid"] == body["pid"] and again["request_id"] != body["request_id"]


def test_handler_exception_is_a_function_error(lam):
    name = create_function(lam, unique("raises"))
    response, body = invoke(lam, name, {"action": "raise", "tag": "t1"})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "RuntimeError"
    assert body["errorMessage"] == "deliberate failure t1"
    assert any("handler.py" in frame for frame in body["stackTrace"])


def test_import_error_is_reported_like_lambda(lam):
    name = create_function(lam, unique("noimport"), handler="missing_module.handler")
    response, body = invoke(lam, name, {})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"


def test_timeout_kills_the_process_and_next_invoke_starts_fresh(lam, tmp_path):
    name = create_function(lam, unique("slow"), timeout=1)
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    response, body = invoke(lam, name, {"action": "sleep", "seconds": 30, "pid_file": str(pid_file)})
    assert time.monotonic() - started < 5
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    pid, child_pid = map(int, pid_file.read_text().split())
    deadline = time.monotonic() + 3
    while any(os.path.exists(f"/proc/{p}") for p in (pid, child_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}"), "the timed-out handler process is still running"
    assert not os.path.exists(f"/proc/{child_pid}"), "a process the handler started survived the timeout"
    response, body = invoke(lam, name, {"action": "echo"})
    assert "FunctionError" not in response and body["pid"] != pid


def test_layer_is_extracted_under_judge_layer_root(lam):
    layer_zip = make_zip(
        {
            "gcc/bin/hello": ("#!/bin/sh\necho layer tool ran\n", 0o755),
            "python/layer_module.py": ("VALUE = 42\n", 0o644),
        }
    )
    layer = lam.publish_layer_version(
        LayerName=unique("toolchain"), Content={"ZipFile": layer_zip}, CompatibleRuntimes=["python3.12"]
    )
    name = create_function(lam, unique("layered"), layers=[layer["LayerVersionArn"]])
    response, body = invoke(lam, name, {"action": "layer"})
    assert "FunctionError" not in response, body
    assert body["files"] == ["gcc", "python"]
    assert body["tool_output"] == "layer tool ran\n"  # the executable bit survived extraction
    assert body["layer_module"] == 42


def test_async_invoke_failure_reaches_the_on_failure_destination(lam, sqs):
    destination_url = sqs.create_queue(QueueName=unique("failures"))["QueueUrl"]
    destination_arn = sqs.get_queue_attributes(QueueUrl=destination_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    name = create_function(lam, unique("async"))
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=120,
        DestinationConfig={"OnFailure": {"Destination": destination_arn}},
    )
    payload = {"action": "raise", "tag": uuid.uuid4().hex}
    response = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload))
    assert response["StatusCode"] == 202
    records = receive_all(sqs, destination_url, until=lambda seen: seen)
    assert len(records) == 1, "no failure record delivered"
    record = records[0]
    assert record["requestPayload"] == payload
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2  # first try + 1 retry
    assert record["responsePayload"]["errorType"] == "RuntimeError"


def test_sqs_event_source_mapping_redelivers_only_reported_failures(lam, sqs):
    def queue(name: str, **attributes) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    dlq_url, dlq_arn = queue(unique("dlq"))
    source_url, source_arn = queue(
        unique("source"),
        VisibilityTimeout="2",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
    )
    observations_url, _ = queue(unique("observed"))
    name = create_function(lam, unique("batch"), env={"OBSERVATIONS_QUEUE_URL": observations_url})
    mapping = lam.create_event_source_mapping(
        EventSourceArn=source_arn,
        FunctionName=name,
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 2},
    )
    deadline = time.monotonic() + 20
    while lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] != "Enabled":
        assert time.monotonic() < deadline, "event source mapping never enabled"
        time.sleep(0.2)
    assert lam.get_event_source_mapping(UUID=mapping["UUID"])["ScalingConfig"] == {"MaximumConcurrency": 2}

    for body in ("ok-1", "ok-2", "fail-1"):
        sqs.send_message(QueueUrl=source_url, MessageBody=body)

    def failure_redelivered(seen: list[dict]) -> bool:
        return any(s["body"] == "fail-1" and s["receive_count"] == 2 for s in seen)

    seen = receive_all(sqs, observations_url, until=failure_redelivered, timeout=40)
    assert failure_redelivered(seen), seen
    # Lambda deleted the successes; only the reported failure came back, then went to the DLQ.
    dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10)["Messages"]
    assert [m["Body"] for m in dead] == ["fail-1"]
    bodies = sorted(s["body"] for s in seen)
    assert bodies == ["fail-1", "fail-1", "ok-1", "ok-2"]
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
