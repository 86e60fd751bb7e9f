"""LocalStack runs our Lambda functions in local execution environments as strict as Lambda's: sync
and async invoke, SQS event source mappings, layers and timeouts through LocalStack's own Lambda
service (real LocalStack), and what a function sees: Lambda's unprivileged user in its own
container, a read-only file system without the host's compilers, a sized /tmp that lives as long as the environment, its memory
size enforced, the Runtime API on loopback and AWS's runtime interface client driving the handler."""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROLE = "arn:aws:iam::000000000000:role/lambda-test"
CPU_CGROUPS = Path("/sys/fs/cgroup/cpu/lambda-local")  # the executor's, one per environment (cgroups.py)

HANDLER = r"""
import importlib.util
import json
import os
import subprocess
import sys
import time

import boto3

print("module imported")  # init-phase output
time.sleep(float(os.environ.get("INIT_SLEEP_S", "0")))  # a long INIT phase, to look at it from outside


def handler(event, context):
    if "Records" in event:
        return sqs_batch(event)
    context_holder[:] = [context]
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
        with open("/tmp/pids", "w") as f:
            f.write(f"{os.getpid()} {child.pid}")
        time.sleep(event["seconds"])
        return "woke up"
    if action == "pids_alive":
        pids = [int(p) for p in open("/tmp/pids").read().split()]
        return {"alive": [p for p in pids if os.path.exists(f"/proc/{p}")], "pid": os.getpid()}
    if action == "probe":
        return probe(event)
    if action == "allocate":
        hog = bytearray(event["mb"] * 1024 * 1024)
        for i in range(0, len(hog), 4096):
            hog[i] = 1
        return len(hog)
    if action == "big_response":
        return "x" * event["bytes"]
    if action == "answer_for_the_runtime":
        return answer_for_the_runtime(event, context)
    if action == "layer":
        root = "/opt"
        import layer_module  # from the layer's python/ dir, as /opt/python in AWS
        tool = subprocess.run([os.path.join(root, "gcc", "bin", "hello")], capture_output=True, text=True)
        return {"root": root, "files": sorted(os.listdir(root)), "tool_output": tool.stdout,
                "layer_module": layer_module.VALUE}
    raise ValueError(f"unknown action {action}")


def probe(event):
    # What the environment lets a function do (each answer a fact the tests check).
    def attempt(fn):
        try:
            return fn()
        except OSError as exc:
            return type(exc).__name__
    def write(path):
        with open(path, "w") as f:
            f.write("x")
        return "written"
    def run(argv):
        return subprocess.run(argv, capture_output=True).returncode
    stat = os.statvfs("/tmp")
    import shutil
    return {
        "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
        "user": __import__("pwd").getpwuid(os.getuid()).pw_name,
        "write_task": attempt(lambda: write("/var/task/x")),
        "write_opt": attempt(lambda: write("/opt/x")),
        "write_usr": attempt(lambda: write("/usr/x")),
        "write_tmp": attempt(lambda: write("/tmp/x")),
        "tmp_mb": stat.f_blocks * stat.f_frsize // (1024 * 1024),
        "root_listing": sorted(os.listdir("/")),
        "read_root": attempt(lambda: os.listdir("/root")),
        "run_gcc": attempt(lambda: run(["/usr/bin/gcc", "--version"])),
        "which": {tool: shutil.which(tool) for tool in ("gcc", "g++", "cc", "javac", "java", "as", "ld")},
        "jvm": attempt(lambda: os.listdir("/usr/lib/jvm")),
        "lib_gcc": attempt(lambda: os.listdir("/usr/lib/gcc")),
        "init_environ": attempt(lambda: open("/proc/1/environ", "rb").read()),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "kept": attempt(lambda: open("/tmp/kept").read()),
        "keep": attempt(lambda: write("/tmp/kept")),
        "context_type": type(context_holder[0]).__module__ if context_holder else None,
    }


context_holder = []


def answer_for_the_runtime(event, context):
    # What a submission can do in Lambda: ask the Runtime API for the running invocation again and
    # answer it in the function's name before the handler does.
    import http.client
    connection = http.client.HTTPConnection(os.environ["AWS_LAMBDA_RUNTIME_API"], timeout=5)
    connection.request("GET", "/2018-06-01/runtime/invocation/next")
    response = connection.getresponse()
    seen_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    seen_payload = json.loads(response.read())
    connection.request("POST", f"/2018-06-01/runtime/invocation/{seen_id}/response",
                       body=json.dumps({"forged": True, "seen_payload": seen_payload}))
    forged_status = connection.getresponse().status
    return {"forged": False, "seen_id": seen_id, "my_id": context.aws_request_id, "forged_status": forged_status}


def sqs_batch(event):
    # The function's own boto3 reaches LocalStack through AWS_ENDPOINT_URL: no endpoint in the code.
    sqs = boto3.client("sqs")
    failures = []
    for record in event["Records"]:
        sqs.send_message(QueueUrl=os.environ["OBSERVATIONS_QUEUE_URL"], MessageBody=json.dumps({
            "body": record["body"],
            "receive_count": int(record["attributes"]["ApproximateReceiveCount"]),
            "waited_s": time.time() - int(record["attributes"]["SentTimestamp"]) / 1000,
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
    memory: int = 256,
    storage: int = 512,
) -> str:
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler=handler,
        Timeout=timeout,
        MemorySize=memory,
        EphemeralStorage={"Size": storage},
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


# What Lambda's python3.12 sets (docs: "Defined runtime environment variables"), LocalStack's
# standard ones, and the function's own; nothing else may reach the function.
LAMBDA_VARIABLES = {
    "_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ", "LANG",
    "PATH", "LD_LIBRARY_PATH", "PYTHONPATH", "_X_AMZN_TRACE_ID", "AWS_XRAY_CONTEXT_MISSING",
    "AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_PORT",
    "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_ENDPOINT_URL", "AWS_LAMBDA_FUNCTION_HANDLER",
    "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL",
    "LC_CTYPE",  # Python's C-locale coercion: en_US.UTF-8 is not installed here (README: differences)
}


def test_sync_invoke_returns_payload_in_a_reused_environment(localstack, lam):
    name = create_function(lam, unique("echo"), env={"GREETING": "hello"})
    response, body = invoke(lam, name, {"x": 1})
    assert response["StatusCode"] == 200 and "FunctionError" not in response, body
    assert body["event"] == {"x": 1}
    env = body["env"]
    assert env["GREETING"] == "hello"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "handler.handler"
    assert env["AWS_ENDPOINT_URL"] == localstack.endpoint_url
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task" and env["LAMBDA_RUNTIME_DIR"] == "/var/runtime"
    assert env["PATH"] == "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"
    assert env["LD_LIBRARY_PATH"].startswith("/var/lang/lib:/lib64:/usr/lib64:/var/runtime")
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert "HOME" not in env  # Lambda sets none; the function's user has a home it cannot write
    assert set(env) - {"GREETING"} <= LAMBDA_VARIABLES, set(env) - LAMBDA_VARIABLES
    # The code dir is the cwd and first on sys.path, like /var/task.
    assert body["cwd"] == "/var/task" == body["sys_path0"]
    assert 0 < body["remaining_ms"] <= 10_000
    # Only the zip is importable: the project is not installed in the runtime.
    assert body["judge_importable"] is False
    # Warm invocation: same process, new request id.
    _, again = invoke(lam, name, {"x": 2})
    assert again["pid"] == body["pid"] and again["request_id"] != body["request_id"]


def test_the_function_runs_as_lambdas_user_in_a_read_only_container_without_compilers(lam):
    name = create_function(lam, unique("probe"), storage=600)
    response, seen = invoke(lam, name, {"action": "probe"})
    assert "FunctionError" not in response, seen
    # Lambda's user and group: sbx_user1051, gid 990, no supplementary groups; an unprivileged uid
    # of this environment's own (container.UID_RANGE: one kernel counts every environment's tasks).
    assert 40000 <= seen["uid"] < 50000 and (seen["gid"], seen["groups"]) == (990, [])
    assert seen["user"] == "sbx_user1051"
    assert seen["write_task"] == seen["write_opt"] == seen["write_usr"] == "OSError" or all(
        seen[k] in ("PermissionError", "OSError") for k in ("write_task", "write_opt", "write_usr")), seen
    assert seen["write_tmp"] == "written"
    assert 590 <= seen["tmp_mb"] <= 600  # /tmp is the function's ephemeral storage size
    assert "root" not in seen["root_listing"] and "work" not in seen["root_listing"]
    assert seen["read_root"] == "FileNotFoundError"
    assert seen["run_gcc"] == "PermissionError"
    assert seen["which"] == dict.fromkeys(seen["which"])  # no compiler, assembler, linker or JDK on PATH
    assert seen["jvm"] == [] and seen["lib_gcc"] == []
    assert seen["init_environ"] == "PermissionError"  # the init (root) holds LocalStack's secrets
    assert seen["context_type"] == "awslambdaric.lambda_context"  # AWS's runtime interface client
    assert seen["kept"] == "FileNotFoundError"
    # /tmp and the process table live as long as the environment: a warm invocation sees both.
    _, again = invoke(lam, name, {"action": "probe"})
    assert again["kept"] == "x"
    assert max(again["processes"]) < 100  # its own pid namespace


def test_exceeding_the_memory_size_ends_the_environment_like_lambda(lam):
    name = create_function(lam, unique("hog"), memory=128)
    invoke(lam, name, {"action": "probe"})  # leaves /tmp/kept
    response, body = invoke(lam, name, {"action": "allocate", "mb": 200})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: signal: killed" in body["errorMessage"]
    # The environment is gone: the next invocation starts cold, with an empty /tmp.
    response, seen = invoke(lam, name, {"action": "probe"})
    assert "FunctionError" not in response, seen
    assert seen["kept"] == "FileNotFoundError"
    response, size = invoke(lam, name, {"action": "allocate", "mb": 40})
    assert size == 40 * 1024 * 1024


def test_a_second_next_during_an_invocation_returns_it_and_the_first_answer_wins(lam):
    name = create_function(lam, unique("runtime-api"))
    payload = {"action": "answer_for_the_runtime", "secret": uuid.uuid4().hex}
    response, body = invoke(lam, name, payload)
    assert "FunctionError" not in response
    # The emulator's behaviour, which AWS's runtime shares: the running invocation, again.
    assert body["forged"] is True
    assert body["seen_payload"] == payload
    _, echoed = invoke(lam, name, {"action": "echo"})
    assert echoed["event"] == {"action": "echo"}  # the runtime still serves the next one


def test_a_response_over_six_megabytes_is_refused(lam):
    name = create_function(lam, unique("big"))
    response, body = invoke(lam, name, {"action": "big_response", "bytes": 7 * 1024 * 1024})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"
    response, body = invoke(lam, name, {"action": "big_response", "bytes": 5 * 1024 * 1024})
    assert "FunctionError" not in response and len(body) == 5 * 1024 * 1024


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


def test_timeout_kills_the_process_and_next_invoke_starts_fresh(lam):
    name = create_function(lam, unique("slow"), timeout=1)
    started = time.monotonic()
    response, body = invoke(lam, name, {"action": "sleep", "seconds": 30})
    assert time.monotonic() - started < 5
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    # The next invocation is a fresh runtime in the same environment (its /tmp kept): neither the
    # timed-out handler nor the child it started is alive.
    response, seen = invoke(lam, name, {"action": "pids_alive"})
    assert "FunctionError" not in response, seen
    assert seen["alive"] == [], "a process of the timed-out invocation survived"


def test_the_init_phase_runs_on_a_whole_vcpu_and_is_billed_with_the_first_invocation(lam):
    """On-demand Lambda gives INIT a full vCPU whatever the memory size, then the memory's share;
    since August 2025 the INIT phase is billed like the invocation it precedes."""
    name = create_function(lam, unique("init"), memory=256, env={"INIT_SLEEP_S": "1.5"})
    with ThreadPoolExecutor(1) as pool:
        cold = pool.submit(lam.invoke, FunctionName=name, Payload=b"{}", LogType="Tail")
        deadline, during_init = time.monotonic() + 20, None
        while during_init is None and time.monotonic() < deadline:
            groups = list(CPU_CGROUPS.glob(f"{name}-*"))
            if groups:
                during_init = int((groups[0] / "cpu.shares").read_text())
            time.sleep(0.05)
        response = cold.result()
    assert during_init == 1024, "INIT ran with less than one vCPU's weight"
    assert int((groups[0] / "cpu.shares").read_text()) == 256 * 1024 // 1769  # the invocation's share
    report = next(line for line in base64.b64decode(response["LogResult"]).decode().splitlines()
                  if line.startswith("REPORT"))
    fields = dict(part.split(": ", 1) for part in report.split("\t")[1:] if ": " in part)
    ms = {key: float(fields[key].split()[0]) for key in ("Duration", "Billed Duration", "Init Duration")}
    assert ms["Init Duration"] >= 1500
    assert ms["Billed Duration"] >= ms["Duration"] + ms["Init Duration"]


def test_layers_are_merged_read_only_under_opt(lam):
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


def test_an_sqs_message_is_picked_up_as_it_arrives_even_on_a_queue_idle_for_seconds(lam, sqs):
    """Lambda's SQS pollers long-poll: an idle queue's message starts an invocation at once. LocalStack's
    own poller backs off on an idle queue up to 10 s (1 s, 1.5 s, 2.25 s, ...): after 3 s idle a
    message waited about a second, often more; here each waits well under one."""
    source_url = sqs.create_queue(QueueName=unique("idle"))["QueueUrl"]
    source_arn = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    observations_url = sqs.create_queue(QueueName=unique("observed"))["QueueUrl"]
    name = create_function(lam, unique("idle"), env={"OBSERVATIONS_QUEUE_URL": observations_url})
    mapping = lam.create_event_source_mapping(EventSourceArn=source_arn, FunctionName=name, BatchSize=10,
                                              MaximumBatchingWindowInSeconds=0)
    deadline = time.monotonic() + 20
    while lam.get_event_source_mapping(UUID=mapping["UUID"])["State"] != "Enabled":
        assert time.monotonic() < deadline, "event source mapping never enabled"
        time.sleep(0.2)
    waits = []
    for index in range(4):  # the first one meets a cold environment: not counted
        sqs.send_message(QueueUrl=source_url, MessageBody=f"ok-{index}")
        [seen] = receive_all(sqs, observations_url, until=lambda seen: len(seen) == 1, timeout=30)
        waits.append(seen["waited_s"])
        time.sleep(3)
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    assert max(waits[1:]) < 1.0, waits


NETWORK_HANDLER = r"""
import json
import os
import socket
import urllib.request

import boto3


def handler(event, context):
    def status(url, method="GET", headers=None):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers or {}), timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()[:200]
        except OSError as e:
            return type(e).__name__, str(e)

    def connect(host, port):
        try:
            socket.create_connection((host, port), timeout=3).close()
            return "connected"
        except OSError as e:
            return type(e).__name__

    try:
        boto3.client("sqs").list_queues()
        sqs = "allowed"
    except Exception as e:
        sqs = type(e).__name__
    return {
        "presigned_get": status(event["get_url"]),
        "tampered_get": status(event["get_url"].replace("X-Amz-Signature=", "X-Amz-Signature=0")),
        "header_signed": status(event["plain_url"], headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x"}),
        "sqs": sqs,
        "database": connect("127.0.0.1", event["db_port"]),
        "other_port": connect("127.0.0.1", event["other_port"]),
        "runtime_api": os.environ["AWS_LAMBDA_RUNTIME_API"],
    }
"""


def test_a_function_whose_security_group_allows_only_s3_reaches_only_presigned_s3(localstack, lam):
    """The sandboxes' security group (egress: the S3 endpoint's prefix list only), as Terraform makes
    it: LocalStack's other services, MariaDB and any other host port are out of reach; a presigned
    object URL works, and LocalStack checks its signature."""
    from botocore.config import Config

    ec2 = localstack.client("ec2")
    s3 = localstack.client("s3", config=Config(signature_version="s3v4"))  # as the worker presigns
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=unique("sandbox"), Description="s3 only", VpcId=vpc)["GroupId"]
    ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    prefix_list = ec2.create_managed_prefix_list(PrefixListName=unique("s3"), MaxEntries=1, AddressFamily="IPv4",
                                                 Entries=[{"Cidr": "10.10.0.0/16"}])["PrefixList"]["PrefixListId"]
    ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": prefix_list}]}])
    bucket = unique("data")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="testdata/1.in", Body=b"1 2\n")
    name = unique("sandboxed")
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="handler.handler", Timeout=30,
        Code={"ZipFile": make_zip({"handler.py": (NETWORK_HANDLER, 0o644)})},
        VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})
    other = socket.create_server(("127.0.0.1", 0))
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "testdata/1.in"}, ExpiresIn=120)
    db_port = int(os.environ.get("E2E_DB_PORT", other.getsockname()[1]))
    response, seen = invoke(lam, name, {"get_url": get_url, "plain_url": f"{localstack.endpoint_url}/{bucket}/testdata/1.in",
                                        "db_port": db_port, "other_port": other.getsockname()[1]})
    other.close()
    assert "FunctionError" not in response, seen
    assert seen["presigned_get"] == [200, "1 2\n"]
    assert seen["tampered_get"][0] == 403  # LocalStack validates presigned signatures
    assert seen["header_signed"][0] == 403 and "only presigned" in seen["header_signed"][1]
    assert seen["sqs"] != "allowed"
    assert seen["database"] == seen["other_port"] == "ConnectionRefusedError"
    assert seen["runtime_api"] == "127.0.0.1:9001"  # its own loopback, as in Lambda
