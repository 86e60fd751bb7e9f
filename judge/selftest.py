"""Per-language self-test: compile and run a tiny program through the real sandbox.

`judge languages --check` and the sandbox Lambda's init both run it, so a broken toolchain or layer
shows up as a clear failure before any submission is judged.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from judge.languages import LANGUAGES, Language
from judge.runner import LocalRunner, TestInput
from judge.sandbox.api import Limits, Outcome
from judge.toolchain import version_of

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
