"""A `judge.runner.Runner` that runs submitted code in the sandbox Lambda function.

The worker keeps the answers and checks outputs itself; the sandbox gets only the program and the
inputs. Tests go in batches that fit Lambda's synchronous payload limit; an input too large to inline
goes as a presigned S3 GET URL (the worker uploads it once, under `testdata/`).

Nothing in a reply is believed unchecked: it must be sealed by the handler for this call's nonce
(`contracts.sandbox_protocol.seal`), every field is bounded, and the runs it reports may not add up
to more wall time than the call took. A run batch whose reply is forged, or whose invocation died
(the program shares the handler's uid and can kill it), is the submission's doing: the batch is run
again one test per call, and a test that does it on its own ends RUNTIME_ERROR with the reason. It
never turns into retries that fail the submission, or another one.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from contracts.budget import DEFAULT_SANDBOX_TIMEOUT_S, batch_capacity
from contracts.errors import OutOfTime, SandboxInvokeError, SandboxProtocolError, s3_object_absent
from contracts.sandbox_protocol import (
    MAX_REQUEST_BYTES,
    VALIDATOR_UNKNOWN,
    CompileReply,
    CompileRequest,
    InteractionReport,
    InteractiveTest,
    InteractReply,
    InteractRequest,
    RunReply,
    RunRequest,
    TestPayload,
    WarmUpReply,
    WarmUpRequest,
    artifact_to_wire,
    new_nonce,
    open_sealed,
    seal_secret,
    validator_reference,
    validator_to_wire,
)
from judge.checkers.base import CheckResult
from judge.checkers.custom_validator import ValidatorBuildError, Workspace
from judge.checkers.interactive import InteractionFacts, decide, not_run
from judge.checkers.portable import PortableValidator, PortableValidatorError
from judge.checkers.private_interaction import TestSecrets
from judge.languages import Language
from judge.runner import Artifact, CompileOutcome, FirstBatch, TestInput
from judge.sandbox.api import Limits, Observation, Outcome
from judge.verdict import Verdict
from pipeline.compile_cache import CompileCache

log = logging.getLogger(__name__)
INLINE_INPUT_LIMIT = 1_000_000  # larger inputs go by presigned URL
# A presigned URL is a bearer token until it expires: signed per batch, just before the call, and the
# sandbox fetches every input before it runs anything (the bucket also refuses it from elsewhere).
PRESIGNED_URL_TTL_S = 120
URL_PAYLOAD_BYTES = 2048
WALL_CLAIM_SLACK_MS = 2000  # a batch's reported walls may not add up to more than the call took
# A plain compile after runs interfered: at least this many tries, and more while the interfering
# batch may still run (its programs can take the next invocation of their environment, up to their
# wall limits), a little apart.
COMPILE_ATTEMPTS = 3
COMPILE_RETRY_PAUSE_S = 0.2
# How Lambda reports an execution environment whose runtime process died during the invocation.
DIED = ("Runtime.ExitError", "Runtime.Unknown")
# How long the first sandbox call waits for the warm-up started at the worker's INIT: about the
# longest a cold start takes (Lambda's INIT phase is at most 10 s). A warm-up still out after that
# (an environment initialized ahead of its first invocation and frozen since) is not waited for.
WARM_UP_WAIT_S = 10.0


class Interference(SandboxInvokeError):
    """The reply was not the handler's, or the handler died: what a program in it can cause."""


class ValidatorNotHeld(SandboxInvokeError):
    """The sandbox environment holds no validator of the digest sent: send its files."""


class LambdaRunner:
    def __init__(self, lambda_client, function_name: str, s3_client=None, bucket: str | None = None,
                 reply_key: bytes | None = None, sandbox_timeout_s: float = DEFAULT_SANDBOX_TIMEOUT_S,
                 compile_cache: CompileCache | None = None):
        self.lambda_client = lambda_client
        self.compile_cache = compile_cache
        self.sandbox_timeout_s = sandbox_timeout_s
        # Seconds left of the worker's own invocation (the worker sets it per event); None: no limit.
        self.remaining_s: Callable[[], float] | None = None
        self.function_name = function_name
        self.s3 = s3_client
        self.bucket = bucket
        self.reply_key = reply_key
        self._staged: dict[Path, str] = {}  # inputs already in the bucket, by path
        self._validators: dict[str, dict] = {}  # wire forms of interactive validators, by digest
        self._validators_sent: set[str] = set()  # digests sent in full during this submission
        self._validators_held = True  # and whether naming them by digest has worked so far
        # The runs the last compile call did (compile(then_run=...)): (program, batch, observations)
        self._ran_ahead: tuple[CompileOutcome, FirstBatch, list[Observation]] | None = None
        self.call_seconds = 0.0  # time spent in sandbox calls (what they bill), since the worker reset it
        self.calls = 0  # and how many
        self.compiles_cached = 0  # compiles answered from the compile cache, no call made
        self.isolation: str | None = None  # the sandbox mode the function last reported
        # language -> the compiler version line the sandbox function reported (its layer's truth)
        self.toolchains: dict[str, str] = {}
        self._warm_up: threading.Thread | None = None
        self._warm_up_deadline = 0.0  # monotonic time after which the first call no longer waits

    def start_warm_up(self, language: str) -> None:
        """Start a sandbox execution environment now, in the background (the worker's INIT calls
        this): the sandbox's cold start then overlaps the worker's own, and the first real call,
        which waits for it (`_await_warm_up`), finds that environment idle rather than starting a
        second one. A warm-up that fails costs nothing but its log line: that call starts one."""
        def warm_up() -> None:
            request = WarmUpRequest(language, new_nonce())
            try:  # not through _invoke: no submission's call, counted in none's billed record
                WarmUpReply.from_wire(self._opened_reply(self._send(request.to_wire()), request.nonce))
            except Exception as error:  # an optimisation: the real call reports failures
                log.warning("sandbox warm-up failed: %.300s", error)
            else:
                log.info("sandbox warm: %s in %.0f ms", self.function_name, (time.monotonic() - started) * 1000)

        started = time.monotonic()
        self._warm_up_deadline = started + WARM_UP_WAIT_S
        self._warm_up = threading.Thread(target=warm_up, name="sandbox-warm-up", daemon=True)
        self._warm_up.start()

    def _await_warm_up(self) -> None:
        if self._warm_up is not None:
            waiting = time.monotonic()
            self._warm_up.join(max(0.0, self._warm_up_deadline - waiting))
            self._warm_up = None
            log.info("the first sandbox call waited %.0f ms for the warm-up", (time.monotonic() - waiting) * 1000)

    def new_submission(self, remaining_s: Callable[[], float] | None = None) -> None:
        """Forget what was counted and sent for the last submission; `remaining_s` says how long
        this one's invocation has left."""
        self.remaining_s = remaining_s
        self.call_seconds, self.calls, self.compiles_cached = 0.0, 0, 0
        self._validators_sent.clear()
        self._validators_held = True

    def describe(self) -> str:
        """The result's `judge.sandbox`: where the code ran and in which mode (`lambda/direct`)."""
        return f"lambda/{self.isolation}" if self.isolation else "lambda"

    def _invoke(self, payload: dict) -> object:
        """The handler's own reply to `payload` (which carries the nonce it is sealed for)."""
        self._await_warm_up()
        started = time.monotonic()
        self.calls += 1
        try:
            response = self._send(payload)
        finally:
            self.call_seconds += time.monotonic() - started
        return self._opened_reply(response, payload.get("nonce"))

    def _send(self, payload: dict) -> dict:
        return self.lambda_client.invoke(FunctionName=self.function_name, InvocationType="RequestResponse",
                                         Payload=json.dumps(payload).encode())

    def _opened_reply(self, response: dict, nonce: str | None) -> object:
        """The handler's reply in an invoke `response`, opened for `nonce`: Interference when it is
        not the handler's, SandboxInvokeError when the function failed."""
        body = response["Payload"].read()
        if response.get("FunctionError"):
            if _error_type(body) in DIED:
                raise Interference(f"the sandbox's runtime died: {body[:300]!r}")
            raise SandboxInvokeError(f"sandbox function failed: {body[:500]!r}")
        try:
            data = json.loads(body)
        except ValueError:
            raise Interference(f"sandbox function answered something else than JSON: {body[:200]!r}") from None
        try:
            return open_sealed(data, self.reply_key, nonce)
        except SandboxProtocolError as error:
            raise Interference(str(error)) from None

    runs_ahead = True  # compile() takes the engine's first batch and runs it in the same call

    def compile(self, language: Language, source: bytes, then_run: FirstBatch | None = None) -> CompileOutcome:
        """Compile (or take the compile cache's program); with `then_run`, a fresh compile also runs
        that batch in the same call, and the next `run` of those tests returns those runs."""
        reply, ran = self.compile_cache.get(language, source) if self.compile_cache else None, []
        if reply is not None:
            self.compiles_cached += 1
        else:
            reply, ran = self._compile_call(language, source, then_run)
        self.isolation = reply.isolation or self.isolation
        if reply.toolchain:
            self.toolchains[language.name] = reply.toolchain
        compiled = CompileOutcome(reply.ok, reply.compile_output, reply.artifact, reply.observation, reply.main_class)
        self._ran_ahead = (compiled, then_run, ran) if ran and then_run else None
        return compiled

    def _compile_call(self, language: Language, source: bytes,
                      then_run: FirstBatch | None) -> tuple[CompileReply, list[Observation]]:
        """The compile call, and the runs of as much of `then_run` as fits it. A reply whose runs
        are not the handler's (the program can kill it mid-run, as in any batch) costs a plain
        compile call: the runs then go on their own, where interference is attributed test by test."""
        batch = []
        if then_run is not None:
            batch = _next_batch(then_run.tests, len(source) * 4 // 3 + 2048, self._tests_per_call(then_run.limits))
        runs = None if not batch else RunRequest(language.name, Artifact(), then_run.limits,
                                                 tuple(self._payload(test) for test in batch),
                                                 stop_at_failure=then_run.stop_at_failure)
        started = time.monotonic()
        try:
            data = self._invoke(CompileRequest(language.name, source, new_nonce(), runs).to_wire())
            reply = CompileReply.from_wire(data)
            ran = self._ran(data, runs, (time.monotonic() - started) * 1000) if runs and reply.ok else []
        except SandboxProtocolError as error:
            raise SandboxInvokeError(str(error)) from None
        except Interference as error:
            if runs is None:
                raise
            log.warning("sandbox interference in a compile and its first %d runs: %s", len(batch), error)
            return self._compile_alone(language, source, len(batch) * then_run.limits.wall_time_s + WALL_CLAIM_SLACK_MS / 1000)
        if self.compile_cache:
            self.compile_cache.put(language, source, {k: v for k, v in data.items() if k != "ran"})
        return reply, ran

    def _compile_alone(self, language: Language, source: bytes,
                       patience_s: float = 0.0) -> tuple[CompileReply, list[Observation]]:
        """A plain compile after runs were interfered with. It runs no submitted code, but the
        interfering batch may still be running in its environment, where a program can take the
        next invocation and answer it (the Runtime API hands it to whoever asks), or may have left
        the runtime dead: so it is tried again, at least COMPILE_ATTEMPTS times and for as long as
        that batch could still run (`patience_s`), after which no program of it is alive."""
        deadline = time.monotonic() + patience_s
        for attempt in itertools.count(1):
            try:
                return self._compile_call(language, source, None)
            except Interference as error:
                if attempt >= COMPILE_ATTEMPTS and time.monotonic() >= deadline:
                    raise
                log.warning("compile call %d met interference left by the last runs: %s", attempt, error)
                time.sleep(COMPILE_RETRY_PAUSE_S)
        raise AssertionError("unreachable")

    def _ran(self, data: dict, runs: RunRequest, took_ms: float) -> list[Observation]:
        """The runs a compile reply carries, checked as a run batch's reply is."""
        return self._checked_runs(data.get("ran"), runs.limits, len(runs.tests), took_ms).observations

    @staticmethod
    def _checked_runs(data: object, limits: Limits, tests: int, took_ms: float) -> RunReply:
        """A reply's runs of `tests` tests, bounded by the limits and by the time the call took; a
        reply that is not that is Interference."""
        try:
            reply = RunReply.from_wire(data, max_stdout=limits.output_mib << 20,
                                       max_stderr=limits.stderr_kib << 10, max_items=tests)
        except SandboxProtocolError as error:
            raise Interference(str(error)) from None
        claimed = sum(observation.wall_ms for observation in reply.observations)
        if claimed > took_ms + WALL_CLAIM_SLACK_MS:
            raise Interference(f"sandbox reply claims {claimed} ms of runs in a call of {took_ms:.0f} ms")
        return reply

    def _take_ran_ahead(self, compiled: CompileOutcome, tests: list[TestInput], limits: Limits,
                        stop_at_failure: bool) -> list[Observation]:
        """The runs the compile call did, if these are its tests (once)."""
        ahead, self._ran_ahead = self._ran_ahead, None
        if ahead is None:
            return []
        program, then_run, ran = ahead
        names = [test.name for test in then_run.tests[:len(ran)]]
        if (program is not compiled or then_run.limits != limits or then_run.stop_at_failure != stop_at_failure
                or [test.name for test in tests[:len(ran)]] != names):
            return []
        return ran

    def _payload(self, test: TestInput) -> TestPayload:
        size = test.input_path.stat().st_size
        if size <= INLINE_INPUT_LIMIT:
            return TestPayload(test.name, input=test.input_path.read_bytes())
        if self.s3 is None or self.bucket is None:
            raise SandboxInvokeError(f"input of {test.name} is {size} bytes and no bucket is configured for it")
        return TestPayload(test.name, input_url=self._presigned_input(test.input_path))

    def _presigned_input(self, path: Path) -> str:
        """A fresh short-lived URL for the input, uploaded once per content (per worker environment)."""
        key = self._staged.get(path)
        if key is None:
            key = f"testdata/{hashlib.sha256(path.read_bytes()).hexdigest()}"
            if not self._in_bucket(key):  # another worker environment staged the same content already
                self.s3.upload_file(str(path), self.bucket, key, ExtraArgs={"ServerSideEncryption": "AES256"})
            self._staged[path] = key
        return self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                              ExpiresIn=PRESIGNED_URL_TTL_S)

    def _in_bucket(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if s3_object_absent(error):  # the workers cannot list the bucket: a missing key is a 403
                return False
            raise
        return True

    def run(self, language: Language, compiled: CompileOutcome, tests: list[TestInput],
            limits: Limits, stop_at_failure: bool = False) -> list[Observation]:
        request = RunRequest(language.name, compiled.artifact, limits, (), compiled.main_class,
                             stop_at_failure=stop_at_failure)
        observations = self._take_ran_ahead(compiled, tests, limits, stop_at_failure)
        pending = list(tests[len(observations):])
        if observations and stop_at_failure and observations[-1].outcome != Outcome.OK:
            return observations
        while pending:
            fits = self._tests_per_call(limits)
            tests_now = _next_batch(pending, len(artifact_to_wire(compiled.artifact)) + 1024, fits)
            try:
                done = self._run_batch(request, [self._payload(test) for test in tests_now])
            except Interference as error:
                log.warning("sandbox interference in a batch of %d: %s", len(tests_now), error)
                done = self._attribute(request, tests_now)
            observations.extend(done)
            pending = pending[len(done):]
            if stop_at_failure and done[-1].outcome != Outcome.OK:
                break
        return observations

    def interact(self, problem, language: Language, compiled: CompileOutcome, test, limits: Limits,
                 validator) -> tuple[Observation, CheckResult]:
        """One interactive test in the sandbox function, with the validator beside the submission:
        the input and answer go sealed for the handler alone, and the verdict is decided here
        from what the function saw, by the same rules as a local interaction (`interactive.decide`)."""
        try:
            program = validator.portable()
        except (ValidatorBuildError, PortableValidatorError) as error:
            return not_run("the validator could not be built"), CheckResult.judge_error(str(error))
        secrets = TestSecrets(Path(test.input_path).read_bytes(),
                              Path(test.answer_path).read_bytes() if test.answer_path else b"")
        grace = problem.limits.validation_time_s
        self._check_an_interaction_fits(limits, grace)
        request = InteractRequest(language.name, compiled.artifact, limits, program, grace,
                                  (InteractiveTest(test.name, seal_secret(secrets.pack(), self.reply_key),
                                                   tuple(problem.output_validator_flags(test))),),
                                  compiled.main_class)
        full = request.to_wire(self._validator_wire(program))
        if len(json.dumps(full)) > MAX_REQUEST_BYTES:
            return not_run("the test is too large"), CheckResult.judge_error(
                f"test {test.name}: program, validator, input and answer do not fit one sandbox request "
                f"({MAX_REQUEST_BYTES} bytes)")
        try:
            report = self._interact_sending(program.digest(), full, limits)
        except Interference as error:
            log.warning("sandbox interference in interactive test %s: %s", test.name, error)
            return self._interfered(f"the program interfered with its sandbox ({_short(error)})")
        if report.interference:
            return self._interfered(f"the program interfered with its validator ({report.interference})",
                                    report.observation)
        facts = InteractionFacts(report.observation, report.validator_code, report.validator_first, report.failure)
        with tempfile.TemporaryDirectory(prefix="judge-interaction-") as scratch:
            work = Workspace(Path(scratch), test)
            for name, data in report.feedback.items():
                (work.feedback / name).write_bytes(data)
            work.log.write_bytes(report.log)
            return report.observation, decide(validator, work, test, facts)

    def _interact_sending(self, digest: str, full: dict, limits: Limits) -> InteractionReport:
        """The call, its validator named by digest where this submission sent it before (the
        sandbox environment that ran the last test most likely runs this one and holds it); with
        its files when the environment does not hold it, and from then on for this submission."""
        if self._validators_held and digest in self._validators_sent:
            try:
                return self._interact_call({**full, "validator": validator_reference(digest), "nonce": new_nonce()},
                                           limits)
            except ValidatorNotHeld:
                self._validators_held = False
        report = self._interact_call({**full, "nonce": new_nonce()}, limits)
        self._validators_sent.add(digest)
        return report

    def _interact_call(self, wire: dict, limits: Limits) -> InteractionReport:
        started = time.monotonic()
        data = self._invoke(wire)
        took_ms = (time.monotonic() - started) * 1000
        if isinstance(data, dict) and data.get("code") == VALIDATOR_UNKNOWN:
            raise ValidatorNotHeld(str(data.get("error")))
        if isinstance(data, dict) and "error" in data:  # sealed: the handler's own refusal
            raise SandboxInvokeError(f"sandbox rejected the request: {str(data['error'])[:500]}")
        try:
            reply = InteractReply.from_wire(data, max_stderr=limits.stderr_kib << 10, max_items=1)
        except SandboxProtocolError as error:
            raise Interference(str(error)) from None
        if len(reply.reports) != 1:
            raise SandboxInvokeError("sandbox returned no report for an interactive test")
        self.isolation = reply.isolation or self.isolation
        [report] = reply.reports
        if report.observation.wall_ms > took_ms + WALL_CLAIM_SLACK_MS:
            raise Interference(f"sandbox reply claims {report.observation.wall_ms} ms of run in a call of {took_ms:.0f} ms")
        return report

    @staticmethod
    def _interfered(reason: str, seen: Observation | None = None) -> tuple[Observation, CheckResult]:
        """The test is the submission's RUNTIME_ERROR, with what was seen of its run (if anything)."""
        observation = Observation(Outcome.RUNTIME_ERROR, None, None, 0, 0, 0)
        observation = replace(seen or observation, outcome=Outcome.RUNTIME_ERROR, detail=reason)
        return observation, CheckResult(Verdict.RUNTIME_ERROR, None, reason)

    def _validator_wire(self, program: PortableValidator) -> dict:
        digest = program.digest()
        if digest not in self._validators:
            if len(self._validators) >= 8:
                self._validators.clear()
            self._validators[digest] = validator_to_wire(program)
        return self._validators[digest]

    def _check_an_interaction_fits(self, limits: Limits, grace_s: float) -> None:
        """OutOfTime unless one interaction (the submission's wall limit, then the validator's
        grace) fits the sandbox's timeout and what is left of ours."""
        self._tests_per_call(replace(limits, wall_time_s=limits.wall_time_s + grace_s))

    def _tests_per_call(self, limits: Limits) -> int:
        """As many tests as one call can run at their wall limit within the sandbox's timeout and
        what is left of ours; OutOfTime when not even one can."""
        budget = self.sandbox_timeout_s
        if self.remaining_s is not None:
            budget = min(budget, self.remaining_s())
        fits = batch_capacity(limits.wall_time_s, budget)
        if fits == 0:
            raise OutOfTime(f"{budget:.0f} s left cannot hold another test at its wall limit of "
                            f"{limits.wall_time_s:g} s (sandbox timeout {self.sandbox_timeout_s:g} s)")
        return fits

    def _run_batch(self, request: RunRequest, batch: list[TestPayload]) -> list[Observation]:
        started = time.monotonic()
        data = self._invoke(request.to_wire(batch, nonce=new_nonce()))
        reply = self._checked_runs(data, request.limits, len(batch), (time.monotonic() - started) * 1000)
        done, self.isolation = reply.observations, reply.isolation or self.isolation
        if not done:
            raise SandboxInvokeError("sandbox returned no observation for a non-empty batch")
        return done

    def _attribute(self, request: RunRequest, tests: list[TestInput]) -> list[Observation]:
        """Find the tests that interfere: the batch again, one test per call. A test that interferes
        on its own is that test's RUNTIME_ERROR; the others' results stand. Each call gets its input
        URL signed anew: the batch's URLs may have expired during the calls before it (each can last
        the sandbox's timeout, as long as a URL lives)."""
        observations = []
        for test in tests:
            try:
                observations.extend(self._run_batch(request, [self._payload(test)]))
            except Interference as again:
                observations.append(Observation(Outcome.RUNTIME_ERROR, None, None, 0, 0, 0,
                                                detail=f"the program interfered with its sandbox ({_short(again)})"))
        return observations


def _wire_size(test: TestInput) -> int:
    size = test.input_path.stat().st_size
    return (size + 2) // 3 * 4 + 256 if size <= INLINE_INPUT_LIMIT else URL_PAYLOAD_BYTES


def _next_batch(pending: list[TestInput], base_size: int, max_tests: int) -> list[TestInput]:
    """As many of the next tests as fit one request and one call's time (always at least one)."""
    batch, size = [], base_size
    for test in pending:
        item = _wire_size(test)
        if batch and (size + item > MAX_REQUEST_BYTES or len(batch) >= max_tests):
            break
        batch.append(test)
        size += item
    return batch


def _error_type(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("errorType") if isinstance(data, dict) else None


def _short(error: Exception) -> str:
    text = str(error)
    return text if len(text) <= 200 else text[:200] + "..."
