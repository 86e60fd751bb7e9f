"""Runs on custom input in the worker (S3 in moto, this machine's sandbox as the runner, the queue
faked) and the live progress a submission reports while it is judged."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from contracts.runs import KEPT_OUTPUT_BYTES, RunCompletionMessage, RunLimits, RunMessage, run_s3_path
from judge.runner import LocalRunner
from pipeline.dispatcher import Dispatcher
from pipeline.problem_cache import ProblemCache
from pipeline.publish import ProgressReporter
from pipeline.worker import Worker
from store.packages import pack_package
from tests.pipeline.test_problem_cache import APLUSB, Store
from tests.pipeline.test_worker import SID, _event

RID = "5c0e8d2a-3b7f-4e61-8a9d-2f4b6c8e0a13"
ONE_SECOND = RunLimits(1.0, 256, 1)


class Published(list):
    def publish(self, message, notify=True):
        self.append(message)

    publish_run = publish_progress = publish


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="oj-submissions")
        yield client


def _worker(s3, tmp_path) -> tuple[Worker, Published]:
    published = Published()
    problems = ProblemCache(tmp_path / "cache", Store(pack_package(APLUSB)))
    return Worker(s3, LocalRunner(), problems, published, frozenset({"python"}), batch_size=2), published


def _run_event(s3, source: bytes, stdin: bytes = b"", limits: RunLimits = ONE_SECOND) -> dict:
    code, given = run_s3_path("oj-submissions", RID, "Main.py"), run_s3_path("oj-submissions", RID, "stdin.txt")
    s3.put_object(Bucket="oj-submissions", Key=f"runs/{RID}/Main.py", Body=source)
    s3.put_object(Bucket="oj-submissions", Key=f"runs/{RID}/stdin.txt", Body=stdin)
    return RunMessage(RID, "u1", "python", code, given, limits).with_dispatch(1, "m1").to_dict()


def test_a_run_reports_its_output_exit_and_usage(s3, tmp_path):
    worker, published = _worker(s3, tmp_path)
    source = b"import sys\nprint(input()[::-1])\nprint('warn', file=sys.stderr)\nsys.exit(3)\n"
    assert worker.handle(_run_event(s3, source, b"olleh\n")) == {"run_id": RID, "limit_verdict": "RUNTIME_ERROR"}
    running, done = published
    assert (running.status, done.status, done.attempt) == ("RUNNING", "DONE", 1)
    result = done.result
    assert (result["stdout"], result["stderr"], result["exit_code"], result["compiled"]) == ("hello\n", "warn\n", 3, True)
    assert result["wall_ms"] > 0 and result["memory_kb"] > 0


def test_a_run_over_its_cpu_limit_is_a_time_limit_exceeded(s3, tmp_path):
    worker, published = _worker(s3, tmp_path)
    worker.handle(_run_event(s3, b"while True:\n    pass\n", limits=RunLimits(0.5, 256, 1)))
    assert published[-1].result["limit_verdict"] == "TIME_LIMIT_EXCEEDED"
    assert published[-1].result["cpu_ms"] >= 450


def test_output_is_kept_up_to_64_kib_and_marked_cut(s3, tmp_path):
    worker, published = _worker(s3, tmp_path)
    worker.handle(_run_event(s3, b"import sys\nsys.stdout.write('x' * 100000)\nsys.stderr.write('y' * 100000)\n"))
    result = published[-1].result
    assert (len(result["stdout"]), result["stdout_truncated"], result["limit_verdict"]) == (KEPT_OUTPUT_BYTES, True, None)
    assert (len(result["stderr"]), result["stderr_truncated"]) == (KEPT_OUTPUT_BYTES, True)


def test_over_the_output_limit_is_an_output_limit_exceeded(s3, tmp_path):
    worker, published = _worker(s3, tmp_path)
    worker.handle(_run_event(s3, b"import sys\nsys.stdout.write('x' * (3 << 20))\n"))
    assert published[-1].result["limit_verdict"] == "OUTPUT_LIMIT_EXCEEDED"


def test_a_run_without_its_objects_fails_with_the_reason(s3, tmp_path):
    worker, published = _worker(s3, tmp_path)
    event = _run_event(s3, b"print(1)\n")
    s3.delete_object(Bucket="oj-submissions", Key=f"runs/{RID}/stdin.txt")
    assert "not in the bucket" in worker.handle(event)["failed"]
    assert (published[-1].status, published[-1].run_id) == ("FAILED", RID)


def test_a_malformed_run_event_fails_the_run_it_names(s3, tmp_path):
    worker, published = _worker(s3, tmp_path)
    event = {**_run_event(s3, b"print(1)\n"), "limits": {"cpu_time_s": 60, "memory_mib": 256, "output_mib": 1}}
    assert "cpu_time_s" in worker.handle(event)["failed"]
    assert (published[-1].status, published[-1].run_id, published[-1].attempt) == ("FAILED", RID, 0)


def test_the_dispatcher_sends_a_run_to_its_languages_worker():
    class Lambda:
        def __init__(self):
            self.calls = []

        def invoke(self, **call):
            self.calls.append(call)

    class Record:
        body = RunMessage(RID, "u1", "python", run_s3_path("oj-submissions", RID, "Main.py"),
                          run_s3_path("oj-submissions", RID, "stdin.txt"), RunLimits()).to_json()
        message_id = "m7"

        class attributes:
            approximate_receive_count = "2"

    lam = Lambda()
    Dispatcher(lam, None, {"python": "worker-python"}, "q").dispatch(Record())
    [call] = lam.calls
    event = RunMessage.from_json(call["Payload"])
    assert (call["FunctionName"], event.run_id, event.attempt) == ("worker-python", RID, 2)


def test_a_submission_reports_its_progress_and_a_full_one_keeps_no_outputs(s3, tmp_path):
    worker, published = _worker(s3, tmp_path)
    worker.handle(_event(s3, b"print(sum(map(int, input().split())))\n"))
    progress = [(m.tests_done, m.tests_total) for m in published if type(m).__name__ == "ProgressMessage"]
    # Two tests a call: the first batch is news at once; the later ones within a second are not.
    assert progress[0] == (0, progress[0][1]) and progress[0][1] > 2, progress
    assert all(done < total for done, total in progress)
    assert published[-1].status == "JUDGED" and "output" not in published[-1].result["tests"][0]


def test_samples_mode_judges_the_samples_and_keeps_their_output(s3, tmp_path):
    worker, published = _worker(s3, tmp_path)
    event = {**_event(s3, b"a, b = map(int, input().split())\nprint(a - b)\n"), "mode": "samples"}
    assert worker.handle(event)["verdict"] == "WRONG_ANSWER"
    tests = published[-1].result["tests"]
    assert all(t["group"] == "sample" for t in tests) and tests
    assert {"output", "expected_output", "output_truncated"} <= tests[0].keys()
    assert tests[0]["output"] != tests[0]["expected_output"]
    assert published[-1].submission_id == SID


def test_progress_is_throttled_and_the_last_test_left_to_the_verdict():
    sent, now = Published(), [0.0]
    report = ProgressReporter(sent, SID, 1, clock=lambda: now[0], interval_s=1.0)
    for done, at in ((0, 0.0), (2, 0.5), (4, 1.2), (6, 1.9), (10, 5.0)):
        now[0] = at
        report(done, 10)
    assert [(m.tests_done, m.attempt) for m in sent] == [(0, 1), (4, 1)]


def test_a_run_in_a_language_no_worker_serves_is_answered_failed_at_once():
    class Queue:
        def __init__(self):
            self.sent = []

        def send_message(self, **message):
            self.sent.append(message)

    class Record:
        body = RunMessage(RID, "u1", "java", run_s3_path("oj-submissions", RID, "Main.java"),
                          run_s3_path("oj-submissions", RID, "stdin.txt"), RunLimits()).to_json()
        message_id = "m8"

        class attributes:
            approximate_receive_count = "1"

    queue = Queue()
    Dispatcher(None, queue, {"python": "worker-python"}, "completion").dispatch(Record())
    [sent] = queue.sent
    failed = RunCompletionMessage.from_json(sent["MessageBody"])
    assert (sent["QueueUrl"], failed.run_id, failed.status) == ("completion", RID, "FAILED")
    assert "no worker configured for language 'java'" in failed.reason
