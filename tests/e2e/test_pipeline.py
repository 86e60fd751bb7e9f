"""End to end: API → S3 → MySQL → SQS → dispatcher → worker → sandbox → completion queue → consumer → GET,
through LocalStack's own Lambda machinery (event source mapping, async invoke with retries and
destinations, sync invoke) with the functions deployed by `terraform apply` of terraform/."""

from __future__ import annotations

import json
import os
import signal
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from contracts.messages import SubmissionMessage, s3_code_path
from store.repositories import get_submission
from tests.e2e.conftest import handler_processes, processes

pytestmark = pytest.mark.e2e

CASES = [
    ("aplusb", "python", "problems/aplusb/submissions/accepted/sum.py", "ACCEPTED"),
    ("aplusb", "c", "problems/aplusb/submissions/accepted/sum.c", "ACCEPTED"),
    ("aplusb", "cpp", "problems/aplusb/submissions/accepted/sum.cpp", "ACCEPTED"),
    ("aplusb", "java", "problems/aplusb/submissions/accepted/sum_java.java", "ACCEPTED"),
    ("aplusb", "cpp", "problems/aplusb/submissions/wrong_answer/int_read.cpp", "WRONG_ANSWER"),
    ("aplusb", "python", "problems/aplusb/submissions/time_limit_exceeded/sleep.py", "TIME_LIMIT_EXCEEDED"),
    ("aplusb", "c", "problems/aplusb/submissions/run_time_error/segfault.c", "RUNTIME_ERROR"),
    ("aplusb", "cpp", "problems/aplusb/submissions/memory_limit_exceeded/hog.cpp", "MEMORY_LIMIT_EXCEEDED"),
    ("aplusb", "python", "problems/aplusb/submissions/output_limit/flood.py", "OUTPUT_LIMIT_EXCEEDED"),
    ("aplusb", "java", "problems/aplusb/submissions/compiler_error/Missing.java", "COMPILATION_ERROR"),
    ("floatsum", "python", "problems/floatsum/submissions/accepted/mean_repr.py", "ACCEPTED"),
    ("custom-checker", "cpp", "problems/custom-checker/submissions/wrong_answer/garbage.cpp", "WRONG_ANSWER"),
]


def test_every_language_reaches_its_verdict_through_the_whole_pipeline(api):
    # One at a time: on this 2-core machine concurrent runs share the CPUs, and a wall-time limit
    # could turn a memory hog into a TLE. (In Lambda every sandbox has its own CPU.)
    for problem, language, path, expected in CASES:
        body = api.wait(api.submit_file(problem, language, path))
        assert body["status"] == "JUDGED", (path, body)
        assert body["verdict"] == expected, (path, body)
        if expected == "COMPILATION_ERROR":
            assert body["tests"] == [] and body["compile_output"], body
        else:
            assert body["tests"], body
        if expected == "ACCEPTED":
            assert body["time_ms"] is not None and body["memory_kb"] > 0


def test_scoring_problem_reports_its_score(api):
    full = api.wait(api.submit_file("groups", "cpp", _first("problems/groups/submissions/accepted", ".cpp")))
    assert (full["status"], full["verdict"], full["score"]) == ("JUDGED", "ACCEPTED", 100)


def _first(folder: str, suffix: str) -> str:
    root = Path(__file__).resolve().parents[2]
    return str(next(p for p in sorted((root / folder).iterdir()) if p.suffix == suffix).relative_to(root))


def test_source_and_row_and_message_follow_the_contract(api, stack):
    submission_id = api.submit_file("aplusb", "python", "problems/aplusb/submissions/accepted/sum.py")
    obj = stack.client("s3").get_object(Bucket=stack.outputs["submissions_bucket_name"],
                                        Key=f"submissions/{submission_id}/Main.py")
    assert obj["ServerSideEncryption"] in ("AES256", "aws:kms")
    assert api.wait(submission_id)["verdict"] == "ACCEPTED"
    with stack.db.transaction() as cur:
        result = get_submission(cur, submission_id)["result_json"]
    # The sandbox function ran it in direct mode: one uid, no namespaces, as in Lambda.
    assert result["judge"]["sandbox"] == "lambda/direct", result["judge"]
    # What it billed, as the worker saw it: a compile and its run calls, both functions' memory sizes.
    billed = result["judge"]["billed"]
    assert billed["sandbox_calls"] >= 1 and billed["worker_memory_mb"] > 0 and billed["sandbox_memory_mb"] > 0, billed
    assert 0 < billed["sandbox_ms"] <= billed["worker_ms"] and billed["gb_seconds"] > 0, billed


def test_a_source_compiled_before_skips_its_compile_call(api, stack):
    """The worker's compile cache (pipeline/compile_cache.py): the second submission of a source is
    judged the same without being compiled again."""
    source = (f"// {uuid.uuid4()}: never compiled before\n"
              + (Path(__file__).resolve().parents[2] / "problems/aplusb/submissions/accepted/sum.cpp").read_text())
    results = []
    for _ in range(2):
        response = api.submit("aplusb", "cpp", source)
        assert response.status_code == 202, response.text
        submission_id = response.json()["submission_id"]
        assert api.wait(submission_id)["verdict"] == "ACCEPTED"
        with stack.db.transaction() as cur:
            results.append(get_submission(cur, submission_id)["result_json"])
    first, again = (r["judge"]["billed"] for r in results)
    assert (first["compiles_cached"], again["compiles_cached"]) == (0, 1), (first, again)
    # The same calls (the first one's tests rode on its compile call), without GCC's second or so.
    assert again["sandbox_calls"] == first["sandbox_calls"] and again["sandbox_ms"] < first["sandbox_ms"], (first, again)


def test_bad_requests_get_clear_4xx(api):
    assert api.submit("aplusb", "cobol", "x").status_code == 422
    assert api.submit("no-such-problem", "python", "print(1)").status_code in (404, 422)
    assert api.submit("aplusb", "python", "").status_code == 422
    assert api.submit("aplusb", "python", "#" * (64 * 1024 + 1)).status_code == 413
    unauthenticated = api.http.post("/v1/submissions", headers={"Authorization": "Bearer nope"},
                                    json={"problem_id": "aplusb", "language": "python", "source_code": "print(1)"})
    assert unauthenticated.status_code == 401
    for response in (unauthenticated, api.submit("aplusb", "cobol", "x")):
        assert response.json()["message"]


def test_duplicate_delivery_of_one_message_yields_one_final_state(api, stack):
    submission_id = api.submit_file("aplusb", "cpp", "problems/aplusb/submissions/accepted/sum.cpp")
    first = api.wait(submission_id)
    message = SubmissionMessage(submission_id, "aplusb", first_user(stack, submission_id), "cpp",
                                s3_code_path(stack.outputs["submissions_bucket_name"], submission_id, "cpp"))
    sqs = stack.client("sqs")
    for _ in range(2):  # SQS is at-least-once: the same message twice more
        sqs.send_message(QueueUrl=stack.outputs["submission_queue_url"], MessageBody=message.to_json())
    _wait_until(lambda: _completion_count(stack, submission_id) >= 3, 180)
    final = api.get(submission_id)
    assert (final["status"], final["verdict"]) == ("JUDGED", "ACCEPTED")
    assert final["tests"] == first["tests"] or len(final["tests"]) == len(first["tests"])


def first_user(stack, submission_id: str) -> str:
    with stack.db.transaction() as cur:
        cur.execute("SELECT user_id FROM submissions WHERE id = %s", (submission_id,))
        return cur.fetchone()["user_id"]


def _completion_count(stack, submission_id: str) -> int:
    """How many times a worker judged a submission, read from the workers' own log groups."""
    logs = stack.client("logs")
    count = 0
    for name in stack.outputs["worker_function_names"].values():
        try:
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=f"/aws/lambda/{name}")
            count += sum(f"judged {submission_id}" in event["message"] for page in pages for event in page["events"])
        except logs.exceptions.ResourceNotFoundException:
            continue
    return count


def _wait_until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError("condition not reached in time")


def test_poison_message_lands_in_the_dlq_and_the_submission_ends_failed(api, stack):
    """A worker that cannot be invoked: the dispatcher fails the record each time, SQS redelivers it,
    after maxReceiveCount it moves to the DLQ, and the backend marks the submission FAILED."""
    lam, sqs = stack.client("lambda"), stack.client("sqs")
    dispatcher = stack.outputs["dispatcher_function_name"]
    queue = stack.outputs["submission_queue_url"]
    config = lam.get_function_configuration(FunctionName=dispatcher)["Environment"]["Variables"]
    broken = {**config, "WORKER_FUNCTIONS": json.dumps({**json.loads(config["WORKER_FUNCTIONS"]),
                                                        "c": "e2e-no-such-worker"})}
    visibility = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout"])["Attributes"]
    try:
        lam.update_function_configuration(FunctionName=dispatcher, Environment={"Variables": broken})
        lam.get_waiter("function_updated_v2").wait(FunctionName=dispatcher)
        # Redeliveries every second instead of every visibility timeout, so five take seconds.
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "1"})
        submission_id = api.submit_file("aplusb", "c", "problems/aplusb/submissions/accepted/sum.c")
        body = api.wait(submission_id, timeout=180)
    finally:
        sqs.set_queue_attributes(QueueUrl=queue, Attributes=visibility)
        lam.update_function_configuration(FunctionName=dispatcher, Environment={"Variables": config})
        lam.get_waiter("function_updated_v2").wait(FunctionName=dispatcher)
    assert body["status"] == "FAILED" and body["verdict"] == "JUDGE_ERROR"
    assert "dead-lettered" in body["failure_reason"]


def test_worker_killed_mid_judging_is_retried_and_ends_judged(api, stack):
    worker = stack.outputs["worker_functions_by_language"]["python"]
    submission_id = api.submit_file("aplusb", "python", "problems/aplusb/submissions/time_limit_exceeded/sleep.py")
    # Mid-judging: the submitted program is running in the sandbox while the worker waits for it.
    deadline = time.monotonic() + 60
    while not processes(lambda environ, argv: b"Main.py" in argv and b"-B" in argv):
        assert time.monotonic() < deadline, "the submission never started running"
        assert api.get(submission_id)["status"] in ("QUEUED", "JUDGING"), "judged before it could be killed"
        time.sleep(0.02)
    killed = handler_processes(worker)
    assert killed, "no worker handler process to kill"
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    # Lambda's async retry runs the worker again; the submission still ends judged, once.
    body = api.wait(submission_id, timeout=180)
    assert (body["status"], body["verdict"]) == ("JUDGED", "TIME_LIMIT_EXCEEDED")


def _billed(stack) -> dict:
    """Usage per function from their REPORT lines (local/billing.py), for terraform/README.md."""
    from local.billing import billed

    return billed(stack.client("logs"), stack.outputs["function_names"])


def test_fifty_submissions_at_once_all_end_judged(api, stack):
    from local.billing import difference

    sources = [
        ("python", "problems/aplusb/submissions/accepted/sum.py"),
        ("cpp", "problems/aplusb/submissions/accepted/sum.cpp"),
        ("c", "problems/aplusb/submissions/accepted/sum.c"),
        ("java", "problems/aplusb/submissions/accepted/sum_java.java"),
        ("python", "problems/aplusb/submissions/wrong_answer/off_by_one.py"),
    ]
    # One warm Python A+B first (the second of two in a row: every function it meets is warm).
    warm = []
    for _ in range(2):
        t0 = time.monotonic()
        assert api.wait(api.submit_file("aplusb", "python", sources[0][1]))["verdict"] == "ACCEPTED"
        warm.append(time.monotonic() - t0)
    started, billed_before = {}, _billed(stack)

    def submit(i: int) -> str:
        language, path = sources[i % len(sources)]
        # Each a source never compiled before: the figures are a burst's, not the compile cache's.
        comment = "#" if language == "python" else "//"
        source = f"{comment} burst {uuid.uuid4()}\n" + (Path(__file__).resolve().parents[2] / path).read_text()
        t0 = time.monotonic()
        response = api.submit("aplusb", language, source)
        assert response.status_code == 202, response.text
        submission_id = response.json()["submission_id"]
        started[submission_id] = t0
        return submission_id

    with ThreadPoolExecutor(max_workers=25) as pool:
        ids = list(pool.map(submit, range(50)))
    latencies, pending = {}, set(ids)
    deadline = time.monotonic() + 600
    while pending and time.monotonic() < deadline:
        for submission_id in list(pending):
            body = api.get(submission_id)
            if body["status"] in ("JUDGED", "FAILED"):
                assert body["status"] == "JUDGED", body
                latencies[submission_id] = time.monotonic() - started[submission_id]
                pending.discard(submission_id)
        time.sleep(0.2)
    assert not pending, f"{len(pending)} submissions not judged in time"
    values = sorted(latencies.values())
    p50, p95 = statistics.median(values), values[int(0.95 * (len(values) - 1))]
    report = {"warm_python_aplusb_s": round(warm[-1], 2), "submissions": len(values), "p50_s": round(p50, 2), "p95_s": round(p95, 2), "max_s": round(values[-1], 2),
              "lambda_per_function": {role: usage.to_json() for role, usage
                                      in difference(_billed(stack), billed_before).items()}}
    out = Path(os.environ.get("E2E_REPORT_DIR", stack.state_dir)) / "latency.json"
    out.write_text(json.dumps(report))
    print(f"\n50 submissions: submit-to-verdict p50 {p50:.2f} s, p95 {p95:.2f} s (report {out}): {report}")


def test_inputs_too_large_to_inline_go_by_presigned_url_and_are_judged(api, stack, tmp_path):
    """A 2 MB input travels as a URL the worker presigns and the sandbox fetches; LocalStack checks
    its signature (S3_SKIP_SIGNATURE_VALIDATION=0), so a URL signed wrongly fails here as in AWS."""
    from backend import admin
    from pipeline.lambda_runner import INLINE_INPUT_LIMIT

    package = tmp_path / "bigsum"
    (package / "data" / "sample").mkdir(parents=True)
    (package / "data" / "secret").mkdir(parents=True)
    (package / "problem.yaml").write_text("name: Big sum\nlimits:\n  time_limit: 2\n  memory: 256\n")
    numbers = [(i * 7919) % 1_000_003 for i in range(300_000)]
    big = "".join(f"{n}\n" for n in numbers).encode()
    assert 2 * INLINE_INPUT_LIMIT <= len(big) < 3 * INLINE_INPUT_LIMIT
    for folder, name, data in (("sample", "1", b"1\n2\n"), ("secret", "01-big", big),
                               ("secret", "02-big-too", big + b"5\n")):
        (package / "data" / folder / f"{name}.in").write_bytes(data)
        (package / "data" / folder / f"{name}.ans").write_text(f"{sum(map(int, data.split()))}\n")
    admin.import_problem(stack.db, package, problem_id="bigsum")  # no bucket: the database fallback
    body = api.wait(api.submit("bigsum", "python", "import sys\nprint(sum(map(int, sys.stdin.buffer.read().split())))\n")
                    .json()["submission_id"])
    assert (body["status"], body["verdict"]) == ("JUDGED", "ACCEPTED"), body
    assert len(body["tests"]) == 3


def test_multi_pass_problems_get_the_verdicts_judge_verify_gives(api, stack, tmp_path):
    """Each pass is one more sandbox call on the validator's nextpass.in; the validator and the answer
    stay in the worker. The verdicts are those of the engine run locally (`judge verify`)."""
    from backend import admin
    from judge.engine import JudgeOptions, judge_submission
    from judge.languages import LANGUAGES
    from judge.problem import load_problem
    from judge.runner import LocalRunner
    from store.packages import PackageBucket
    from tests.judge.problem.packages import doubling_package

    package = doubling_package(tmp_path / "doubling", passes=4)
    admin.import_problem(stack.db, package, problem_id="doubling",
                         packages=PackageBucket(stack.client("s3"), stack.outputs["submissions_bucket_name"]))
    sources = {
        "accepted": "print(2 * int(input()))\n",
        "wrong in pass 3": "k = int(input())\nprint(2 * k if k < 3 else 0)\n",
        "crash in pass 2": "k = int(input())\nassert k < 2\nprint(2 * k)\n",
    }
    ids = {name: api.submit("doubling", "python", source).json()["submission_id"] for name, source in sources.items()}
    problem = load_problem(package)
    for name, source in sources.items():
        body = api.wait(ids[name])
        local = judge_submission(problem, LANGUAGES["python"], source.encode(), LocalRunner(), JudgeOptions())
        assert body["status"] == "JUDGED", (name, body)
        assert (body["verdict"], body["tests"][0]["feedback"]) == (local.verdict.value, local.tests[0].feedback), name
    assert api.wait(ids["accepted"])["verdict"] == "ACCEPTED"


def test_the_example_packages_are_archived_in_the_bucket_and_indexed(stack):
    """The dev stack imports through the bucket, as judge-admin does in AWS; the verdicts above were
    judged from packages/<sha256>.tar.gz there (the workers get PACKAGE_BUCKET from Terraform)."""
    import hashlib

    from store.packages import problem_package_ref

    with stack.db.transaction() as cur:
        ref = problem_package_ref(cur, "aplusb")
    assert ref.object_key == f"packages/{ref.sha256}.tar.gz"
    body = stack.client("s3").get_object(Bucket=stack.outputs["submissions_bucket_name"], Key=ref.object_key)["Body"]
    data = body.read()
    assert len(data) == ref.size_bytes and hashlib.sha256(data).hexdigest() == ref.sha256
