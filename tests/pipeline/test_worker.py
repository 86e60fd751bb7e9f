"""The worker's decisions, with S3 in moto and the sandbox and the queue faked: what ends FAILED
at once (with its reason) and what is judged."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from contracts.errors import OutOfTime
from contracts.messages import SubmissionMessage, s3_code_path
from judge.runner import LocalRunner
from pipeline.problem_cache import ProblemCache
from pipeline.worker import Worker
from store.packages import pack_package
from tests.pipeline.test_problem_cache import APLUSB, Store

SID = "0b7f2d1c-8f0e-4a57-9a55-3c1f0e2d9b11"


class Published(list):
    def publish(self, message, notify=True):
        self.append(message)


class NoTimeLeft(LocalRunner):
    def run(self, *args, **kwargs):
        raise OutOfTime("5 s left cannot hold another test at its wall limit of 3 s")


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="oj-submissions")
        yield client


def _worker(s3, tmp_path: Path, runner) -> tuple[Worker, Published]:
    published = Published()
    problems = ProblemCache(tmp_path / "cache", Store(pack_package(APLUSB)))
    return Worker(s3, runner, problems, published, frozenset({"python"})), published


def _event(s3, source: bytes) -> dict:
    path = s3_code_path("oj-submissions", SID, "python")
    s3.put_object(Bucket="oj-submissions", Key=path.split("/", 3)[3], Body=source)
    return SubmissionMessage(SID, "aplusb", "u1", "python", path).with_dispatch(1, "m1").to_dict()


def test_a_submission_is_judged_and_published(s3, tmp_path):
    worker, published = _worker(s3, tmp_path, LocalRunner())
    assert worker.handle(_event(s3, b"print(sum(map(int, input().split())))\n"))["verdict"] == "ACCEPTED"
    assert [m.status for m in published] == ["JUDGING", "JUDGED"]


def test_out_of_time_ends_failed_with_the_reason_not_a_retry(s3, tmp_path):
    worker, published = _worker(s3, tmp_path, NoTimeLeft())
    outcome = worker.handle(_event(s3, b"print(1)\n"), remaining_s=lambda: 5.0)
    assert "within the worker's timeout" in outcome["failed"]
    assert published[-1].status == "FAILED" and "wall limit of 3 s" in published[-1].reason


def test_every_judged_submission_reports_its_time_and_verdict_as_metrics(s3, tmp_path, capsys, monkeypatch):
    import json

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    worker, _ = _worker(s3, tmp_path, LocalRunner())
    capsys.readouterr()
    worker.handle(_event(s3, b"print(sum(map(int, input().split())))\n"))
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    by_metric = {m["Name"]: d for d in documents for m in d["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"Submissions", "JudgeSeconds", "SandboxSeconds", "WorkerGBSeconds", "Verdicts"} <= by_metric.keys()
    assert all(d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Judge" for d in documents)
    assert by_metric["Verdicts"]["Verdict"] == "ACCEPTED" and by_metric["Verdicts"]["Language"] == "python"
    assert by_metric["WorkerGBSeconds"]["WorkerGBSeconds"] == pytest.approx(by_metric["JudgeSeconds"]["JudgeSeconds"], abs=0.01)


def test_a_package_whose_bytes_are_not_its_hash_ends_failed_never_judged(s3, tmp_path):
    from store.packages import PackageBucket

    data = pack_package(APLUSB)
    ref, _ = PackageBucket(s3, "oj-submissions").put(data)
    s3.put_object(Bucket="oj-submissions", Key=ref.object_key, Body=data[:-10] + b"0" * 10)
    published = Published()
    problems = ProblemCache(tmp_path / "cache", Store(data, ref), s3, "oj-submissions")
    worker = Worker(s3, LocalRunner(), problems, published, frozenset({"python"}))
    outcome = worker.handle(_event(s3, b"print(sum(map(int, input().split())))\n"))
    assert "another sha256" in outcome["failed"] and "verdict" not in outcome
    assert [m.status for m in published] == ["JUDGING", "FAILED"]
    assert "problem 'aplusb'" in published[-1].reason and "refused" in published[-1].reason


def test_each_result_carries_what_it_billed(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")

    class Counted(LocalRunner):  # the LambdaRunner's counters, on the local sandbox
        remaining_s, call_seconds, calls = None, 0.0, 0

        def compile(self, *args):
            self.calls, self.call_seconds = self.calls + 1, self.call_seconds + 0.25
            return super().compile(*args)

    published = Published()
    problems = ProblemCache(tmp_path / "cache", Store(pack_package(APLUSB)))
    worker = Worker(s3, Counted(), problems, published, frozenset({"python"}), sandbox_memory_mb=2048)
    worker.handle(_event(s3, b"print(sum(map(int, input().split())))\n"))
    billed = published[-1].result["judge"]["billed"]
    assert (billed["worker_memory_mb"], billed["sandbox_memory_mb"], billed["sandbox_calls"]) == (512, 2048, 1)
    assert billed["sandbox_ms"] == 250 and billed["worker_ms"] > 0
    assert billed["gb_seconds"] == pytest.approx(billed["worker_ms"] / 1000 / 2 + 0.25 * 2, abs=1e-3)
class ReportingRunner(LocalRunner):
    """A runner that, like LambdaRunner, keeps the version line the sandbox's compiler reported."""

    def __init__(self, version: str):
        super().__init__()
        self.toolchains = {"python": version}


def test_the_reported_compiler_version_is_recorded_once_per_environment(s3, tmp_path):
    worker, _ = _worker(s3, tmp_path, ReportingRunner("Python 3.12.1"))
    recorded = []
    worker.record_toolchain = lambda language, version: recorded.append((language, version))
    source = b"print(sum(map(int, input().split())))\n"
    worker.handle(_event(s3, source))
    worker.handle(_event(s3, source))
    assert recorded == [("python", "Python 3.12.1")]
    worker.runner.toolchains["python"] = "Python 3.12.2"  # the function came back with a new layer
    worker.handle(_event(s3, source))
    assert recorded[-1] == ("python", "Python 3.12.2") and len(recorded) == 2


def test_a_failing_version_record_does_not_fail_the_judging(s3, tmp_path):
    worker, published = _worker(s3, tmp_path, ReportingRunner("Python 3.12.1"))

    def broken(language, version):
        raise RuntimeError("database away")

    worker.record_toolchain = broken
    assert worker.handle(_event(s3, b"print(sum(map(int, input().split())))\n"))["verdict"] == "ACCEPTED"
    assert published[-1].status == "JUDGED"


def test_the_judged_line_says_where_the_workers_time_went_as_the_benchmark_reads_it(s3, tmp_path, caplog):
    from local.billing import worker_phases

    worker, _ = _worker(s3, tmp_path, LocalRunner())
    with caplog.at_level("INFO", logger="pipeline.worker"):
        worker.handle(_event(s3, b"print(sum(map(int, input().split())))\n"))
    [phases] = [p for record in caplog.records if (p := worker_phases(record.getMessage()))]
    assert set(phases) == {"total", "judging_message", "source_and_package", "judging", "result_message",
                           "sandbox", "calls"}
    assert phases["total"] >= phases["judging"] > 0
