"""The sandbox Lambda function: compile and run submitted code, report what it did.

It runs in an execution environment that holds nothing worth stealing: its role may only write logs,
it has no secrets in its environment, no network route, and it never receives expected answers.
A submission that breaks out of the process sandbox finds only its own inputs.
"""

from __future__ import annotations

import base64
import logging
import os
import tempfile
import time
import urllib.request
from pathlib import Path

from judge.languages import get_language
from judge.runner import Artifact, CompileOutcome, LocalRunner, TestInput, compile_in_sandbox
from judge.sandbox.api import Limits
from pipeline.sandbox_protocol import (
    MAX_RESPONSE_BYTES,
    VERSION,
    SandboxProtocolError,
    observation_to_wire,
    parse_request,
)

log = logging.getLogger(__name__)
INPUT_FETCH_TIMEOUT_S = 30


def _fetch_input(test: dict, directory: Path) -> TestInput:
    path = directory / f"{len(list(directory.iterdir()))}.in"
    if "input_url" in test:
        with urllib.request.urlopen(test["input_url"], timeout=INPUT_FETCH_TIMEOUT_S) as response:
            path.write_bytes(response.read())
    else:
        path.write_bytes(base64.b64decode(test["input_b64"]))
    return TestInput(test["name"], path)


def handle(request: object) -> dict:
    try:
        request = parse_request(request)
    except SandboxProtocolError as error:
        return {"version": VERSION, "error": str(error)}
    language = get_language(request["language"])
    if request["action"] == "self_test":
        from judge.selftest import self_test

        report = self_test(language)
        return {"version": VERSION, "ok": report.ok, "detail": report.detail}
    if request["action"] == "compile":
        compiled = compile_in_sandbox(language, base64.b64decode(request["source_b64"]))
        return {
            "version": VERSION, "ok": compiled.ok, "compile_output": compiled.output,
            "artifact_b64": compiled.artifact.to_b64() if compiled.artifact else None,
            "main_class": compiled.main_class,
            "observation": observation_to_wire(compiled.observation) if compiled.observation else None,
        }
    return _run_batch(request, language)


def _run_batch(request: dict, language) -> dict:
    compiled = CompileOutcome(True, "", Artifact.from_b64(request["artifact_b64"]),
                              main_class=request.get("main_class"))
    limits = Limits.from_json(request["limits"])
    runner = LocalRunner()
    observations, used = [], 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="inputs-") as tmp:
        # Every input is in hand before any submitted code runs: nothing a run leaves behind can
        # touch a fetch, and the network is needed only before the first run.
        inputs = [_fetch_input(test, Path(tmp)) for test in request["tests"]]
        for test_input in inputs:
            [observation] = runner.run(language, compiled, [test_input], limits)
            wire = observation_to_wire(observation)
            size = len(wire["stdout_gz_b64"]) + len(wire["stderr_b64"]) + 512
            if observations and used + size > MAX_RESPONSE_BYTES:
                break  # the worker sends the rest in another call
            observations.append(wire)
            used += size
    log.info("ran %d/%d tests in %.0f ms", len(observations), len(request["tests"]),
             (time.monotonic() - started) * 1000)
    return {"version": VERSION, "observations": observations}


def init_self_test() -> None:
    """Run every configured language's self-test at cold start, so a broken layer fails loudly."""
    from judge.selftest import self_test

    for name in filter(None, os.environ.get("JUDGE_LANGUAGES", "").split(",")):
        report = self_test(get_language(name.strip()))
        if not report.ok:
            raise RuntimeError(f"self-test of {name} failed: {report.detail}")
        log.info("self-test %s ok (compile %d ms, run %d ms)", name, report.compile_ms, report.run_ms)
