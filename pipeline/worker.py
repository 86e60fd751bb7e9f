"""The worker: judge one submission (or do one run on custom input: pipeline/runs.py), never running
its code here.

It fetches the source from S3 and the problem's package by the hash the database names for it (from
the package bucket, once per execution environment: pipeline/problem_cache.py), sends the code to the
language's sandbox function to compile and run, checks the outputs against the answers itself, and publishes
the result. Failures that will not get better on a retry (bad event, missing problem or source,
unsupported problem) end as a FAILED completion at once; anything else raises, so Lambda retries the
invocation and, when retries run out, the on-failure destination tells the backend.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from contracts.errors import MessageError, OutOfTime, ProblemNotFound, ProblemPackageError
from contracts.messages import MAX_SOURCE_BYTES, CompletionMessage, SubmissionMessage
from contracts.result import prepare_result_check
from contracts.runs import RUN_TYPE, RunMessage, failure_for
from contracts.sandbox_protocol import REPLY_KEY_ENV, reply_key
from judge import settings
from judge.engine import JudgeOptions, judge_submission
from judge.languages import get_language
from judge.problem import ProblemFormatError
from judge.runner import Runner
from pipeline.metrics import record_judged
from pipeline.problem_cache import ProblemCache
from pipeline.publish import ProgressReporter, ResultPublisher
from pipeline.runs import RunExecutor

log = logging.getLogger(__name__)


@dataclass
class Worker:
    s3: object
    runner: Runner
    problems: ProblemCache
    publisher: ResultPublisher
    languages: frozenset[str]
    # Tests per sandbox call. A batch ends at its first failing run when judging stops there
    # (RunRequest.stop_at_failure), so a larger one wastes only the runs after a wrong answer and
    # saves a call (an invocation's fixed cost in both functions) per batch it makes unneeded.
    batch_size: int = 16
    sandbox_memory_mb: int = 0  # the sandbox function's memory size, for the result's billed record
    # Stores the compiler version the sandbox reported (language, version line); once per environment.
    record_toolchain: Callable[[str, str], None] | None = None
    _toolchains_recorded: dict[str, str] = field(default_factory=dict)

    def handle(self, event: dict, remaining_s=None) -> dict:
        """Judge one submission event (or do one run's); `remaining_s()` says how much of the
        invocation is left. While judging, progress goes out at most once a second (ProgressReporter)."""
        started = time.monotonic()
        if hasattr(self.runner, "new_submission"):  # the LambdaRunner's counters and time left
            self.runner.new_submission(remaining_s)
        is_run = isinstance(event, dict) and event.get("type") == RUN_TYPE
        try:
            message = RunMessage.from_dict(event) if is_run else SubmissionMessage.from_dict(event)
        except MessageError as error:
            return self._fail_event(event, f"bad worker event: {error}")
        if message.language not in self.languages:
            reason = f"this worker judges {', '.join(sorted(self.languages))}, not {message.language}"
            return self._fail_event(event, reason) if is_run else self._fail(message, reason)
        if is_run:
            outcome = RunExecutor(self.s3, self.runner, self.publisher).handle(message)
            self._record_toolchain(message.language)
            return outcome
        self.publisher.publish(CompletionMessage.judging(message.submission_id, message.attempt), notify=False)
        phases = {"judging_message": time.monotonic() - started}
        source = self._source(message)
        if source is None:
            return self._fail(message, f"source code not found at {message.s3_code_path}")
        if len(source) > MAX_SOURCE_BYTES:
            return self._fail(message, f"source code is {len(source)} bytes, over the {MAX_SOURCE_BYTES} limit")
        try:
            problem = self.problems.load(message.problem_id)
        except ProblemNotFound:
            return self._fail(message, f"problem {message.problem_id!r} does not exist")
        except ProblemFormatError as error:
            return self._fail(message, f"problem {message.problem_id!r} has a bad package: {error}")
        except ProblemPackageError as error:
            return self._fail(message, f"problem {message.problem_id!r}: {error}")
        phases["source_and_package"] = time.monotonic() - started - sum(phases.values())
        try:
            options = JudgeOptions(batch_size=self.batch_size, only_samples=message.mode == "samples",
                                   tests_done=ProgressReporter(self.publisher, message.submission_id, message.attempt))
            result = judge_submission(problem, get_language(message.language), source, self.runner, options)
        except OutOfTime as error:
            return self._fail(message, f"the submission could not be judged within the worker's timeout: {error}")
        phases["judging"] = time.monotonic() - started - sum(phases.values())
        result.judge["billed"] = self._billed(time.monotonic() - started)
        self.publisher.publish(CompletionMessage.judged(message.submission_id, message.attempt, result.to_json()))
        self._record_toolchain(message.language)
        phases["result_message"] = time.monotonic() - started - sum(phases.values())
        # Where the worker's billed time went (make bench-e2e reads these lines back).
        log.info("judged %s: %s in %.0f ms: %s; sandbox %.0f ms in %d calls", message.submission_id,
                 result.verdict.value, (time.monotonic() - started) * 1000,
                 ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in phases.items()),
                 getattr(self.runner, "call_seconds", 0.0) * 1000, getattr(self.runner, "calls", 0))
        record_judged(message.language, result.verdict.value, time.monotonic() - started,
                      getattr(self.runner, "call_seconds", 0.0))
        return {"submission_id": message.submission_id, "verdict": result.verdict.value}

    def _billed(self, worker_s: float) -> dict:
        """What this submission bills, as the worker sees it: its own time and its sandbox calls
        (the functions' REPORT lines are the bill; this lets a backend show cost per submission)."""
        worker_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "0") or 0)
        sandbox_mb = self.sandbox_memory_mb
        sandbox_s = getattr(self.runner, "call_seconds", 0.0)
        return {"worker_ms": round(worker_s * 1000), "worker_memory_mb": worker_mb,
                "sandbox_ms": round(sandbox_s * 1000), "sandbox_calls": getattr(self.runner, "calls", 0),
                "compiles_cached": getattr(self.runner, "compiles_cached", 0),
                "sandbox_memory_mb": sandbox_mb,
                "gb_seconds": round(worker_s * worker_mb / 1024 + sandbox_s * sandbox_mb / 1024, 4)}

    def _record_toolchain(self, language: str) -> None:
        version = getattr(self.runner, "toolchains", {}).get(language)
        if not version or self.record_toolchain is None or self._toolchains_recorded.get(language) == version:
            return
        try:
            self.record_toolchain(language, version)
            self._toolchains_recorded[language] = version
        except Exception:  # a catalogue entry must never fail a judged submission
            log.exception("could not record the %s toolchain version", language)

    def _source(self, message: SubmissionMessage) -> bytes | None:
        try:
            response = self.s3.get_object(Bucket=message.bucket, Key=message.key)
        except self.s3.exceptions.NoSuchKey:
            return None
        return response["Body"].read(MAX_SOURCE_BYTES + 1)

    def _fail(self, message: SubmissionMessage, reason: str) -> dict:
        log.warning("failing %s: %s", message.submission_id, reason)
        self.publisher.publish(CompletionMessage.failed(message.submission_id, message.attempt, reason))
        return {"submission_id": message.submission_id, "failed": reason}

    def _fail_event(self, event: object, reason: str) -> dict:
        """A FAILED answer to an event of either kind (a run's or a submission's), at its base attempt."""
        failed = failure_for(event, reason) if isinstance(event, dict) else None
        if failed is None:
            log.error("dropping unusable worker event: %s", reason)
            return {"failed": reason}
        if isinstance(failed, CompletionMessage):
            self.publisher.publish(failed)
            return {"submission_id": failed.submission_id, "failed": reason}
        self.publisher.publish_run(failed)
        return {"run_id": failed.run_id, "failed": reason}


def from_environment(*, warm_up_sandbox: bool = False) -> Worker:
    """Build a worker from the environment Terraform gives it (see docs/ARCHITECTURE.md);
    `warm_up_sandbox`: start a sandbox environment as soon as the runner can (prepare())."""
    import boto3

    from pipeline.aws_clients import presigning_s3_client, sandbox_lambda_client
    from pipeline.compile_cache import CompileCache
    from pipeline.lambda_runner import LambdaRunner
    from store.package_store import DatabasePackageStore

    languages = frozenset(settings.current().languages)
    if not languages:
        raise RuntimeError("JUDGE_LANGUAGES is not set: the worker would judge nothing")
    bucket = os.environ["SUBMISSIONS_BUCKET"]
    sandbox_timeout_s = float(os.environ.get("SANDBOX_TIMEOUT_SECONDS", "120"))
    runner = LambdaRunner(sandbox_lambda_client(sandbox_timeout_s), os.environ["SANDBOX_FUNCTION"],
                          presigning_s3_client(), bucket, reply_key(os.environ.get(REPLY_KEY_ENV)),
                          sandbox_timeout_s=sandbox_timeout_s, compile_cache=CompileCache.from_environment())
    if warm_up_sandbox:  # first: the rest (clients, the database secret) is built while it starts
        runner.start_warm_up(min(languages))
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    store = DatabasePackageStore.from_environment()
    webhook_secret = None
    if os.environ.get("RESULT_WEBHOOK_URL") and os.environ.get("RESULT_WEBHOOK_SECRET_ARN"):
        secrets = boto3.client("secretsmanager")
        webhook_secret = secrets.get_secret_value(SecretId=os.environ["RESULT_WEBHOOK_SECRET_ARN"])["SecretString"].encode()
    direct = store.apply_completion if os.environ.get("RESULT_DIRECT_DB", "false").lower() == "true" else None
    publisher = ResultPublisher(sqs, os.environ["COMPLETION_QUEUE_URL"], os.environ.get("RESULT_WEBHOOK_URL"),
                                webhook_secret, direct)
    # Packages: indexed in the database, archived in PACKAGE_BUCKET (the submissions bucket unless set).
    problems = ProblemCache(Path(os.environ.get("TESTDATA_CACHE_DIR", "/tmp/testdata")), store, s3,
                            os.environ.get("PACKAGE_BUCKET") or bucket,
                            int(os.environ.get("PACKAGE_CACHE_MAX_MB", "1024")) << 20)
    return Worker(s3, runner, problems, publisher, languages, int(os.environ.get("SANDBOX_BATCH_SIZE", "16")),
                  int(os.environ.get("SANDBOX_MEMORY_MB", "0") or 0), record_toolchain=store.record_toolchain)


_worker: Worker | None = None


def prepare() -> None:
    """Build the worker in the INIT phase (the Lambda entry point calls this as it is imported).

    INIT runs on a whole vCPU whatever the memory size and is billed per millisecond like an
    invocation; the handler runs on the worker's 512 MB share, two sevenths of a vCPU. So what the
    first submission would otherwise pay for in its handler (the clients, the database secret and a
    connection, the result schema's own check) is paid here, in a third of the time, while a sandbox
    environment starts in the background (LambdaRunner.start_warm_up). A database that cannot be
    reached yet is not an INIT failure: the first submission connects, or fails, as before."""
    global _worker
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s", force=True)
    _worker = from_environment(warm_up_sandbox=True)
    prepare_result_check()
    try:
        with _worker.problems.store.db.connection():
            pass  # one connection into the pool, its TLS handshake done
    except Exception as error:  # an optimisation: the handler reports the real failure
        log.warning("no database connection at INIT: %.200s", error)


def handler(event, context):
    """The Lambda handler; the worker (clients, DB secret) is built once per execution environment."""
    global _worker
    if _worker is None:
        prepare()
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return _worker.handle(event, (lambda: remaining() / 1000) if remaining else None)
