"""The backend's Lambda packages, run as Lambda runs them: build/functions/backend_api.zip and
backend_consumer.zip (tools/package_functions.py) unpacked as /var/task would be, imported by a clean
Python 3.12 (`-I -S`: no site-packages, no PYTHONPATH, only the unpacked zip on sys.path), their
handlers called with the events API Gateway (HTTP API, payload 2.0) and an SQS event source mapping
send, against real MariaDB (and LocalStack for the API's S3 and SQS)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest

from contracts.messages import CompletionMessage, ProgressMessage
from judge.languages import LANGUAGES
from judge.result import SubmissionResult, TestResult
from judge.verdict import Verdict
from store import repositories as repo

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "123456789012", "us-east-1"

# Runs inside the clean interpreter: import the handler from the task root, call it once per event,
# and report which modules came from anywhere but the task root or the standard library.
RUNNER = """
import importlib, json, sys
task, module, out = sys.argv[1:4]
sys.path.insert(0, task)
handler = importlib.import_module(module).handler
replies = [handler(event, None) for event in json.load(sys.stdin)]
foreign = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)
                  and not m.__file__.startswith(task) and not m.__file__.startswith(sys.base_prefix)})
with open(out, "w") as f:
    json.dump({"replies": replies, "foreign": foreign, "path": sys.path}, f)
"""


@pytest.fixture(scope="module")
def task_roots(tmp_path_factory) -> dict[str, Path]:
    """Each backend zip, built by the packaging tool and unpacked (pydantic-core is a C extension:
    Lambda imports from the unpacked /var/task, never from the zip itself)."""
    out = tmp_path_factory.mktemp("functions")
    subprocess.run([sys.executable, str(ROOT / "tools" / "package_functions.py"), "--out", str(out),
                    "backend_api", "backend_consumer"], check=True, capture_output=True, text=True)
    roots = {}
    for name in ("backend_api", "backend_consumer"):
        root = out / name
        with zipfile.ZipFile(out / f"{name}.zip") as zf:
            zf.extractall(root)
        roots[name] = root
    return roots


def invoke(task: Path, module: str, env: dict[str, str], events: list[dict], tmp_path: Path) -> list[dict]:
    out = tmp_path / f"replies-{uuid.uuid4().hex[:8]}.json"
    done = subprocess.run([sys.executable, "-I", "-S", "-c", RUNNER, str(task), module, str(out)],
                          input=json.dumps(events), env={"PATH": "/usr/bin:/bin", "TZ": "UTC", **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(out.read_text())
    assert report["foreign"] == [], "imported from outside the zip and the standard library"
    assert not [p for p in report["path"] if "site-packages" in p]
    return report["replies"]


def http_event(method: str, path: str, token: str | None, body: dict | None = None) -> dict:
    """What an API Gateway HTTP API's $default route sends a Lambda proxy integration (payload 2.0)."""
    headers = {"accept": "application/json", "host": "abc123.execute-api.us-east-1.amazonaws.com",
               "user-agent": "curl/8.5.0", "x-forwarded-for": "203.0.113.7", "x-forwarded-port": "443",
               "x-forwarded-proto": "https"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if body is not None:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT, "apiId": "abc123", "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123", "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                               "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "requestId": f"req-{uuid.uuid4().hex[:12]}", "routeKey": "$default", "stage": "$default",
            "time": "01/Dec/2026:21:00:00 +0000", "timeEpoch": 1796158800000},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }


def sqs_event(*records: tuple[str, str]) -> dict:
    """An SQS event source mapping's batch: (queue name, body) per record."""
    return {"Records": [{
        "messageId": f"m{i}-{uuid.uuid4().hex[:8]}", "receiptHandle": f"rh{i}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1796158800000", "SenderId": ACCOUNT,
                       "ApproximateFirstReceiveTimestamp": "1796158800001"},
        "messageAttributes": {}, "md5OfBody": "0" * 32, "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}", "awsRegion": REGION,
    } for i, (queue, body) in enumerate(records)]}


def db_env(db) -> dict[str, str]:
    cfg = db.config
    return {"DB_HOST": cfg.host, "DB_PORT": str(cfg.port), "DB_NAME": cfg.database, "DB_USER": cfg.user,
            "DB_PASSWORD": cfg.password}


def test_the_api_zip_answers_api_gateway_events(task_roots, db, aws, localstack, tmp_path):
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("p", "P", "pass-fail", {}, "0" * 64, False))
        _, token = repo.create_user(cur, "gw")
    env = {**db_env(db), "SUBMISSIONS_BUCKET": aws.bucket, "SUBMISSION_QUEUE_URL": aws.submission_queue,
           "AWS_ENDPOINT_URL": localstack.endpoint_url, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    source = "print(sum(map(int, input().split())))"
    healthz, languages, unauthenticated, bad_language, submitted = invoke(
        task_roots["backend_api"], "backend.api.lambda_entry", env, [
            http_event("GET", "/healthz", None),
            http_event("GET", "/v1/languages", token),
            http_event("GET", "/v1/languages", None),
            http_event("POST", "/v1/submissions", token, {"problem_id": "p", "language": "cobol", "source_code": "x"}),
            http_event("POST", "/v1/submissions", token, {"problem_id": "p", "language": "python",
                                                          "source_code": source}),
        ], tmp_path)

    assert healthz["statusCode"] == 200, healthz
    assert languages["statusCode"] == 200, languages
    assert languages["headers"]["content-type"] == "application/json"
    listed = json.loads(languages["body"])["languages"]
    assert [entry["name"] for entry in listed] == list(LANGUAGES)
    python = next(entry for entry in listed if entry["name"] == "python")
    assert python["source_file_name"] == LANGUAGES["python"].source_name
    assert unauthenticated["statusCode"] == 401 and "error" in json.loads(unauthenticated["body"])
    assert bad_language["statusCode"] == 422, bad_language
    assert json.loads(bad_language["body"])["error"] == "invalid_request"
    # Through the zip's own boto3 (its s3 and sqs models): the source in the bucket, the message queued.
    assert submitted["statusCode"] == 202, submitted
    sid = json.loads(submitted["body"])["submission_id"]
    stored = aws.s3.get_object(Bucket=aws.bucket, Key=f"submissions/{sid}/Main.py")["Body"].read().decode()
    assert stored == source
    assert [json.loads(m["Body"])["submission_id"] for m in aws.receive(aws.submission_queue)] == [sid]


def test_the_consumer_zip_applies_a_batch_and_reports_what_failed(task_roots, db, tmp_path):
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("p", "P", "pass-fail", {}, "0" * 64, False))
        user, _ = repo.create_user(cur, "u")
        judged_sid, poisoned_sid = str(uuid.uuid4()), str(uuid.uuid4())
        for sid in (judged_sid, poisoned_sid):
            repo.insert_submission(cur, id=sid, user_id=user.id, problem_id="p", language="python",
                                   s3_code_path=f"s3://b/submissions/{sid}/Main.py")
    queues = {kind: f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/oj-{kind}" for kind in
              ("completion-queue", "worker-failure-queue", "submission-dlq", "completion-dlq")}
    env = {**db_env(db), "COMPLETION_QUEUE_URL": queues["completion-queue"],
           "WORKER_FAILURE_QUEUE_URL": queues["worker-failure-queue"], "SUBMISSION_DLQ_URL": queues["submission-dlq"],
           "COMPLETION_DLQ_URL": queues["completion-dlq"], "AWS_DEFAULT_REGION": REGION,
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    result = SubmissionResult(Verdict.ACCEPTED, "python", time_ms=15, wall_ms=20, memory_kb=2048, tests=[
        TestResult("sample/1", "sample", Verdict.ACCEPTED, 15, 20, 2048)]).to_json()
    # A progress count the INT column cannot hold: the database refuses it on every delivery.
    poison = ProgressMessage(poisoned_sid, 1, 2**40, 2**40, "2026-12-01T21:00:00Z").to_json()
    event = sqs_event(("oj-completion-queue", CompletionMessage.judged(judged_sid, 1, result).to_json()),
                      ("oj-completion-queue", poison),
                      ("oj-completion-queue", "not json"),  # malformed: dropped as the process drops it
                      ("oj-somebody-elses-queue", CompletionMessage.judging(judged_sid, 2).to_json()))
    [reply] = invoke(task_roots["backend_consumer"], "backend.consumer_lambda_entry", env, [event], tmp_path)

    ids = [r["messageId"] for r in event["Records"]]
    assert reply == {"batchItemFailures": [{"itemIdentifier": ids[1]}, {"itemIdentifier": ids[3]}]}
    with db.transaction() as cur:
        judged, poisoned = repo.get_submission(cur, judged_sid), repo.get_submission(cur, poisoned_sid)
    assert (judged["status"], judged["verdict"], judged["attempt"], judged["time_ms"]) == ("JUDGED", "ACCEPTED", 1, 15)
    assert poisoned["status"] == "QUEUED"  # left for redelivery, then the DLQ


def test_judge_functions_never_ship_the_backend_and_backend_functions_never_the_pipeline(task_roots):
    for name, root in task_roots.items():
        shipped = {p.relative_to(root).parts[0] for p in root.iterdir()}
        assert "pipeline" not in shipped and "functions" not in shipped, name
        assert {"backend", "store", "contracts", "judge"} <= shipped, name
