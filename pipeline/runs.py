"""A run on custom input in the worker: compile, run once on the given stdin under the run's limits,
report what it printed, how it ended and what it used. Nothing is checked: there is no answer.

Same sandbox function and runner as submissions (the program never runs here). Failures of the judge,
not of the program (its source missing, the sandbox failing, no time left), end as a FAILED run.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from contracts.errors import OutOfTime, SandboxInvokeError
from contracts.messages import MAX_SOURCE_BYTES
from contracts.runs import KEPT_OUTPUT_BYTES, MAX_STDIN_BYTES, RunCompletionMessage, RunMessage, kept_text
from judge.engine import WALL_FACTOR, WALL_SLACK_S, verdict_of_run
from judge.languages import Language, get_language
from judge.runner import Runner, TestInput
from judge.sandbox.api import Limits
from judge.verdict import Verdict
from pipeline.publish import ResultPublisher

log = logging.getLogger(__name__)


def sandbox_limits(message: RunMessage) -> Limits:
    cpu = message.limits.cpu_time_s
    # stderr one KiB over what is kept, so that more than that is seen to have been cut
    return Limits(cpu_time_s=cpu, wall_time_s=cpu * WALL_FACTOR + WALL_SLACK_S,
                  memory_mib=message.limits.memory_mib, output_mib=message.limits.output_mib,
                  stderr_kib=KEPT_OUTPUT_BYTES // 1024 + 1)


def not_compiled(compile_output: str) -> dict:
    return {"compiled": False, "compile_output": kept_text(compile_output.encode())[0], "stdout": "",
            "stdout_truncated": False, "stderr": "", "stderr_truncated": False, "exit_code": None, "signal": None,
            "cpu_ms": 0, "wall_ms": 0, "memory_kb": 0, "limit_verdict": None}


@dataclass
class RunExecutor:
    s3: object
    runner: Runner
    publisher: ResultPublisher

    def handle(self, message: RunMessage) -> dict:
        self.publisher.publish_run(RunCompletionMessage.running(message.run_id, message.attempt))
        source = self._read(message.s3_code_path, MAX_SOURCE_BYTES)
        stdin = self._read(message.s3_stdin_path, MAX_STDIN_BYTES)
        if source is None or stdin is None:
            return self._fail(message, "the run's source or stdin is not in the bucket")
        try:
            result = self._execute(message, get_language(message.language), source, stdin)
        except (OutOfTime, SandboxInvokeError) as error:
            return self._fail(message, f"the run could not be done: {error}")
        if isinstance(result, str):
            return self._fail(message, result)
        self.publisher.publish_run(RunCompletionMessage.done(message.run_id, message.attempt, result))
        log.info("run %s: %s", message.run_id, result["limit_verdict"] or "exited 0")
        return {"run_id": message.run_id, "limit_verdict": result["limit_verdict"]}

    def _execute(self, message: RunMessage, language: Language, source: bytes, stdin: bytes) -> dict | str:
        """The run's result, or why the judge (not the program) failed it."""
        compiled = self.runner.compile(language, source)
        if not compiled.ok:
            if compiled.failure_is_judge_error():
                return f"the compiler could not run: {compiled.output[:500]}"
            return not_compiled(compiled.output)
        limits = sandbox_limits(message)
        with tempfile.TemporaryDirectory(prefix="judge-run-") as scratch:
            path = Path(scratch) / "stdin"
            path.write_bytes(stdin)
            [observation] = self.runner.run(language, compiled, [TestInput("stdin", path)], limits)
        verdict = verdict_of_run(language, observation, limits)
        if verdict is Verdict.JUDGE_ERROR:
            return f"the sandbox failed: {observation.detail[:500]}"
        stdout, stdout_cut = kept_text(observation.stdout)
        stderr, stderr_cut = kept_text(observation.stderr)
        return {"compiled": True, "compile_output": kept_text(compiled.output.encode())[0], "stdout": stdout,
                "stdout_truncated": stdout_cut, "stderr": stderr, "stderr_truncated": stderr_cut,
                "exit_code": observation.exit_code, "signal": observation.signal, "cpu_ms": observation.cpu_ms,
                "wall_ms": observation.wall_ms, "memory_kb": observation.memory_kb,
                "limit_verdict": verdict.value if verdict else None}

    def _read(self, path: str, limit: int) -> bytes | None:
        bucket, key = RunMessage.bucket_and_key(path)
        try:
            return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read(limit + 1)[:limit]
        except self.s3.exceptions.NoSuchKey:
            return None

    def _fail(self, message: RunMessage, reason: str) -> dict:
        log.warning("failing run %s: %s", message.run_id, reason)
        self.publisher.publish_run(RunCompletionMessage.failed(message.run_id, message.attempt, reason))
        return {"run_id": message.run_id, "failed": reason}
