"""Per-language self-test: compile and run a tiny program through the real sandbox.

`judge languages --check` runs it, and the sandbox Lambda's init runs `cold_start_check` (the
self-test, or the language's version probes where a self-test would cost a JVM start), so a broken
toolchain or layer shows up as a clear failure before any submission is judged.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from judge.languages import LANGUAGES, Language
from judge.runner import LocalRunner, TestInput
from judge.sandbox.api import Limits, Outcome
from judge.toolchain import ToolNotFound, expand, tool_env, version_of

PROBE_TIMEOUT_S = 30

SELF_TEST_INPUT, SELF_TEST_OUTPUT = b"judge\n", b"hello judge\n"


@dataclass
class SelfTestReport:
    language: str
    ok: bool
    compile_ms: int
    run_ms: int
    detail: str
    version: str | None = None  # what the toolchain says it is (`Language.version_command`)


def self_test(language: Language, runner=None) -> SelfTestReport:
    runner = runner or LocalRunner()
    started = time.monotonic()
    try:
        compiled = runner.compile(language, language.self_test.encode())
    except Exception as error:  # a missing tool must be a report, not a traceback
        return SelfTestReport(language.name, False, 0, 0, f"compile step failed: {error}")
    compile_ms = round((time.monotonic() - started) * 1000)
    if not compiled.ok:
        return SelfTestReport(language.name, False, compile_ms, 0, f"compilation failed: {compiled.output[:300]}")
    with tempfile.TemporaryDirectory() as tmp:
        input_path = Path(tmp) / "self-test.in"
        input_path.write_bytes(SELF_TEST_INPUT)
        started = time.monotonic()
        limits = Limits(cpu_time_s=5.0, wall_time_s=10.0, memory_mib=512)
        [observation] = runner.run(language, compiled, [TestInput("self-test", input_path)], limits)
    run_ms = round((time.monotonic() - started) * 1000)
    if observation.outcome != Outcome.OK:
        return SelfTestReport(language.name, False, compile_ms, run_ms,
                              f"run ended {observation.outcome.value}: {observation.detail} "
                              f"{observation.stderr[:300].decode(errors='replace')}")
    if observation.stdout != SELF_TEST_OUTPUT:
        return SelfTestReport(language.name, False, compile_ms, run_ms, f"unexpected output {observation.stdout[:100]!r}")
    return SelfTestReport(language.name, True, compile_ms, run_ms, language.display_name,
                          version_of(language.version_command))


def self_test_all(names: list[str] | None = None) -> list[SelfTestReport]:
    return [self_test(LANGUAGES[name]) for name in (names or list(LANGUAGES))]


def cold_start_check(language: Language, runner=None) -> SelfTestReport:
    """What a sandbox function's cold start proves: the self-test, or, for a language that declares
    `cold_start_probes`, that each probe's tool loads here and prints its version (exit 0)."""
    if not language.cold_start_probes:
        return self_test(language, runner)
    started = time.monotonic()
    said = []
    for command in language.cold_start_probes:
        tool = command[0].strip("<>")
        try:
            done = subprocess.run(expand(command), capture_output=True, timeout=PROBE_TIMEOUT_S,
                                  env=tool_env([tool]), stdin=subprocess.DEVNULL)
        except (ToolNotFound, OSError, subprocess.TimeoutExpired) as error:
            return SelfTestReport(language.name, False, 0, 0, f"{tool} did not start: {error}")
        first = next((line.strip() for line in (done.stdout + b"\n" + done.stderr).decode(errors="replace").splitlines()
                      if line.strip()), "")
        if done.returncode != 0 or not first:
            return SelfTestReport(language.name, False, 0, 0,
                                  f"{tool} exited {done.returncode}: {first[:300] or 'and said nothing'}")
        said.append(first[:100])
    return SelfTestReport(language.name, True, 0, round((time.monotonic() - started) * 1000),
                          f"{language.display_name} ({'; '.join(said)})", version_of(language.version_command))
