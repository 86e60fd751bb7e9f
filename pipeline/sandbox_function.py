"""The sandbox Lambda function: compile and run submitted code, report what it did.

It runs in an execution environment that holds nothing worth stealing: its role may only write logs,
it has no secrets but its reply key, no network route, and it receives expected answers only for
interactive tests, sealed, where the validator has to run next to the submission
(judge/checkers/private_interaction.py keeps them out of the submission's reach). In
Lambda the submission runs in direct mode, as this handler's uid, so the handler:
- is the submission's subreaper and non-dumpable from its cold start (`init_check` makes it so,
  before any submission runs: judge/sandbox/hardening.py);
- takes its reply key out of the environment at start-up and seals every reply with it
  (contracts/sandbox_protocol.py), so a reply posted by the submission is refused by the worker;
- before and after every invocation kills whatever is left of earlier runs and empties /tmp, so
  nothing one submission leaves behind reaches the next (JUDGE_SCRUB_TMP; on by default in direct
  mode inside Lambda).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
import urllib.request
from collections import OrderedDict
from pathlib import Path

from contracts.errors import SandboxProtocolError
from contracts.sandbox_protocol import (
    MAX_RESPONSE_BYTES,
    REPLY_KEY_ENV,
    VALIDATOR_UNKNOWN,
    CompileReply,
    CompileRequest,
    InteractionReport,
    InteractReply,
    InteractRequest,
    RunReply,
    RunRequest,
    SelfTestReply,
    TestPayload,
    WarmUpReply,
    WarmUpRequest,
    decode_request,
    error_reply,
    open_secret,
    reply_key,
    seal,
)
from judge import sandbox, settings
from judge.checkers.portable import PortableValidator
from judge.checkers.private_interaction import TestSecrets, interact_privately
from judge.languages import get_language
from judge.prefix_headers import PrecompiledPrefixes
from judge.runner import CompileOutcome, LocalRunner, TestInput, compile_in_sandbox, run_spec_for
from judge.sandbox import hardening
from judge.sandbox.api import Outcome
from judge.selftest import cold_start_check, self_test
from judge.toolchain import version_of
from pipeline import fresh_environment

log = logging.getLogger(__name__)
INPUT_FETCH_TIMEOUT_S = 30
# Read once and removed from the environment: no process started later inherits it.
_REPLY_KEY = reply_key(os.environ.pop(REPLY_KEY_ENV, None))
# Interactive validators this environment was sent, by the digest computed here: later tests name
# them by digest instead of carrying megabytes each. In this process's memory, which no submission
# can read or write (not dumpable), never on disk, where it could.
_HELD_VALIDATORS: OrderedDict[str, PortableValidator] = OrderedDict()
HELD_VALIDATOR_BYTES = 64 << 20
# C++ sources' leading includes, precompiled once they recur, held the same way (judge/prefix_headers.py).
_PRECOMPILED_PREFIXES = PrecompiledPrefixes(max_bytes=128 << 20)


def _fetch_input(test: TestPayload, path: Path) -> TestInput:
    if test.input_url is not None:
        with urllib.request.urlopen(test.input_url, timeout=INPUT_FETCH_TIMEOUT_S) as response:
            path.write_bytes(response.read())
    else:
        path.write_bytes(test.input or b"")
    return TestInput(test.name, path)


def handle(event: object) -> dict:
    scrub_between_invocations()
    try:
        return _handle(event)
    finally:
        scrub_between_invocations()


def _handle(event: object) -> dict:
    try:
        request = decode_request(event)
    except SandboxProtocolError as error:
        return error_reply(str(error))
    if isinstance(request, WarmUpRequest):  # a worker's INIT starting this environment: nothing runs
        fresh_environment.spare_this_invocation()
        return seal(WarmUpReply().to_wire(), _REPLY_KEY, request.nonce)
    language = get_language(request.language)
    if isinstance(request, CompileRequest):
        reply = _compile(request, language)
    elif isinstance(request, RunRequest):
        reply = _run_batch(request, language).to_wire()
    elif isinstance(request, InteractRequest):
        reply = _interact(request, language)
    else:
        report = self_test(language)
        reply = SelfTestReply(report.ok, report.detail, report.version).to_wire()
    return seal(reply, _REPLY_KEY, request.nonce)


def scrub_between_invocations() -> None:
    """Direct mode: no process of an earlier run alive, nothing of it in the scratch directory."""
    if not sandbox.runs_as_our_uid():
        return  # every run had another uid (and, with bwrap, its own /tmp and pid namespace)
    hardening.sweep()
    if settings.current().scrub_tmp:
        hardening.empty_directory(Path(tempfile.gettempdir()))


def _compile(request: CompileRequest, language) -> dict:
    """Compile; then, if asked and it compiled, run the first tests with it in this same call."""
    compiled = compile_in_sandbox(language, request.source, prefixes=_PRECOMPILED_PREFIXES)
    reply = CompileReply(compiled.ok, compiled.output, compiled.artifact, compiled.main_class,
                         compiled.observation, sandbox.isolation_mode(), version_of(language.version_command),
                         compiled.precompiled)
    wire = reply.to_wire()
    if request.then_run is None or not compiled.ok:
        return wire
    scrub_between_invocations()  # the runs start as clean as in a call of their own
    runs = dataclasses.replace(request.then_run, artifact=compiled.artifact, main_class=compiled.main_class)
    compiled_bytes = len(wire["artifact_b64"] or "") + len(wire["compile_output"].encode()) + 4096
    wire["ran"] = _run_batch(runs, language, budget=MAX_RESPONSE_BYTES - compiled_bytes).to_wire()
    return wire


def _run_batch(request: RunRequest, language, budget: int = MAX_RESPONSE_BYTES) -> RunReply:
    compiled = CompileOutcome(True, "", request.artifact, main_class=request.main_class)
    runner = LocalRunner()
    reply = RunReply(isolation=sandbox.isolation_mode(), budget=budget)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="inputs-") as tmp:
        # Every input is in hand before any submitted code runs: nothing a run leaves behind can
        # touch a fetch, and the network is needed only before the first run.
        inputs = [_fetch_input(test, Path(tmp) / f"{index}.in") for index, test in enumerate(request.tests)]
        for test_input in inputs:
            [observation] = runner.run(language, compiled, [test_input], request.limits)
            if not reply.add(observation):
                break  # the worker sends the rest in another call
            if request.stop_at_failure and observation.outcome != Outcome.OK:
                break  # judging ends at this test: the rest would be run for nothing
    log.info("ran %d/%d tests in %.0f ms", len(reply.observations), len(request.tests),
             (time.monotonic() - started) * 1000)
    return reply


def _interact(request: InteractRequest, language) -> dict:
    """Each test against the validator, its input and answer opened only here (they travel sealed:
    the submission can read this request back from the Runtime API)."""
    if _REPLY_KEY is None and sandbox.runs_as_our_uid():
        return error_reply(f"interactive tests need {REPLY_KEY_ENV} in direct mode: their answers "
                           "would travel readable to the submission")
    validator = _held(request.validator)
    if validator is None:
        return error_reply("this environment holds no validator of that digest", VALIDATOR_UNKNOWN)
    reply = InteractReply(isolation=sandbox.isolation_mode())
    compiled = CompileOutcome(True, "", request.artifact, main_class=request.main_class)
    for test in request.tests:
        try:
            secrets = TestSecrets.unpack(open_secret(test.secret, _REPLY_KEY))
        except (SandboxProtocolError, ValueError) as error:
            return error_reply(f"test {test.name}: {error}")
        with sandbox.fresh_workdir() as workdir:
            compiled.artifact.write_into(workdir)
            spec = run_spec_for(language, compiled, workdir, request.limits)
            done = interact_privately(validator, secrets, test.flags, spec, request.validation_time_s)
        facts = done.facts
        reply.reports.append(InteractionReport(facts.observation, facts.code, facts.validator_first, facts.failure,
                                               done.feedback, done.log, done.interference))
    return reply.to_wire()


def _held(validator: PortableValidator | str) -> PortableValidator | None:
    """The validator sent, now held; or the one held under the digest named (None: not held)."""
    if isinstance(validator, str):
        held = _HELD_VALIDATORS.get(validator)
        if held is not None:
            _HELD_VALIDATORS.move_to_end(validator)
        return held
    _HELD_VALIDATORS[validator.digest()] = validator
    _HELD_VALIDATORS.move_to_end(validator.digest())
    while len(_HELD_VALIDATORS) > 1 and sum(_size(v) for v in _HELD_VALIDATORS.values()) > HELD_VALIDATOR_BYTES:
        _HELD_VALIDATORS.popitem(last=False)
    return validator


def _size(validator: PortableValidator) -> int:
    return sum(len(data) for _, data in validator.files.values())


def init_check() -> None:
    """At cold start: harden this process, then prove every configured language's tools work here
    (`cold_start_check`), so a broken layer fails the cold start loudly, never a submission."""
    log.info("sandbox mode %s", sandbox.isolation_mode())  # direct mode hardens this process here
    for name in settings.current().languages:
        report = cold_start_check(get_language(name))
        if not report.ok:
            raise RuntimeError(f"cold-start check of {name} failed: {report.detail}")
        log.info("cold-start check %s ok (compile %d ms, run %d ms): %s", name, report.compile_ms, report.run_ms,
                 report.version)
