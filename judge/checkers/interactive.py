"""Interactive problems: the output validator and the submission talk through two pipes.

    validator stdout ──pipe──▶ submission stdin
    submission stdout ──pipe──▶ validator stdin

The validator (`validator input answer feedback_dir/ [flags]`, cwd a scratch directory) is the
problem setter's program and runs as a plain subprocess; the submission runs in the sandbox
(`judge.sandbox.start`). We hold a copy of each write end until the process that writes it has been
reaped, so a side sees EOF only after we have recorded the other's exit: the order in which the two
waits return is then cause before effect, even on a loaded machine (problemtools' interactive runner
holds its copies the same way). We keep the two read ends: to see when each side's
stdout closes (POLLHUP),
to drain the validator's writes once the submission is gone (so it neither blocks nor dies of
SIGPIPE, as in problemtools), and we close the submission's once the validator is gone (so a
submission still writing gets SIGPIPE instead of blocking).

Verdict rules (problemtools' and DOMjudge's, in this order):
1. The validator did not exit 42/43 (crashed, signalled, exceeded its time): JUDGE_ERROR.
2. The validator exited first and rejected (43): WRONG_ANSWER, even if the submission then
   crashed (it was fed nothing more; we kill it at once) - unless the sandbox had already stopped
   the submission for a limit: a validator that rejects on the end of input a kill caused is not
   first in any meaningful sense, so the limit's verdict stands (as in DOMjudge).
3. The submission failed on its own: TIME_LIMIT_EXCEEDED, MEMORY_LIMIT_EXCEEDED,
   OUTPUT_LIMIT_EXCEEDED, RUNTIME_ERROR (non-zero exit or a signal), JUDGE_ERROR for a sandbox
   failure. A submission killed by SIGPIPE (it wrote after the validator had finished) is not a
   failure: the validator decides.
4. Otherwise the validator's verdict: 42 ACCEPTED (score from score.txt), 43 WRONG_ANSWER.
So a submission that exits 0 after a wrong exchange is WA, one that crashes after the validator
accepted is RTE, and one that keeps running after the validator accepted is TLE.
"""

from __future__ import annotations

import errno
import fcntl
import math
import os
import select
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from judge.checkers.base import CheckResult
from judge.checkers.custom_validator import (
    EXIT_ACCEPT,
    EXIT_REJECT,
    CustomValidator,
    ValidatorBuildError,
    Workspace,
    _kill_group,
)
from judge.problem.model import Problem, TestCase
from judge.sandbox import hardening
from judge.sandbox.api import Observation, Outcome, RunSpec
from judge.verdict import Verdict

_PIPE_SIZE = 1 << 20  # fewer context switches for chatty protocols; best effort
_SUBMISSION_FAILURES = {
    Outcome.TIME_LIMIT: Verdict.TIME_LIMIT_EXCEEDED,
    Outcome.MEMORY_LIMIT: Verdict.MEMORY_LIMIT_EXCEEDED,
    Outcome.OUTPUT_LIMIT: Verdict.OUTPUT_LIMIT_EXCEEDED,
    Outcome.RUNTIME_ERROR: Verdict.RUNTIME_ERROR,
    Outcome.SANDBOX_ERROR: Verdict.JUDGE_ERROR,
}


def not_run(detail: str) -> Observation:
    return Observation(outcome=Outcome.SANDBOX_ERROR, exit_code=None, signal=None, cpu_ms=0, wall_ms=0,
                       memory_kb=0, detail=detail)


def _pipe() -> tuple[int, int]:
    read, write = os.pipe()  # non-inheritable: only the dup2'ed stdin/stdout reach a child
    try:
        fcntl.fcntl(read, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_SIZE)
    except OSError:
        pass
    return read, write


def _close(*fds: int | None) -> None:
    for fd in fds:
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


class _HeldEnd:
    """Our copy of a pipe's write end: closed once, right after its writer has been reaped."""

    def __init__(self, fd: int):
        self.fd: int | None = fd
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None


def _drain(fd: int) -> None:
    """Swallow what the validator writes after the submission exited, until the validator exits."""
    while True:
        try:
            if not os.read(fd, 65536):
                return
        except OSError as error:
            if error.errno != errno.EINTR:
                return


@dataclass
class ValidatorLaunch:
    """How to start the validator for one test: its whole argv (program, input, answer, feedback
    directory, flags), where its stderr goes, and what else it needs. `started(pid)` runs once the
    validator has been exec'ed and before the submission starts; a reason it returns stops the test
    there (the sandbox function checks that nobody of the submission's uid could read it)."""

    argv: list[str]
    cwd: Path
    stderr_fd: int
    env: dict[str, str] | None = None  # None: ours
    pass_fds: tuple[int, ...] = ()
    started: Callable[[int], str | None] | None = None


@dataclass
class InteractionFacts:
    """What one interaction did, before any verdict: the submission's observation, the validator's
    exit code (None: it did not start, was stopped, or ran out of time, with `failure` saying why),
    and who finished first."""

    observation: Observation
    code: int | None
    validator_first: bool = False
    failure: str = ""


def run_interactive(problem: Problem, test: TestCase, submission_spec: RunSpec, validator: CustomValidator,
                    flags: Sequence[str] | None = None,
                    start: Callable[[RunSpec], object] | None = None) -> tuple[Observation, CheckResult]:
    """Run one interactive test here (the CLI, a self-hosted judge); returns the submission's
    observation and the final verdict. `start` is the sandbox's `start(spec) -> RunningProgram`
    (default `judge.sandbox.start`)."""
    if flags is None:
        flags = test.output_validator_flags
    try:
        command = validator.command()
    except ValidatorBuildError as error:
        return not_run("the validator could not be built"), CheckResult.judge_error(str(error))
    with tempfile.TemporaryDirectory(prefix="judge-interact-") as scratch:
        work = Workspace(Path(scratch), test)
        log_fd = os.open(work.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            launch = ValidatorLaunch([*command, str(test.input_path), str(work.answer), f"{work.feedback}{os.sep}",
                                      *flags], work.cwd, log_fd)
            facts = interact(launch, submission_spec, problem.limits.validation_time_s, start)
        finally:
            os.close(log_fd)
        return facts.observation, decide(validator, work, test, facts)


def decide(validator: CustomValidator, work: Workspace, test: TestCase, facts: InteractionFacts) -> CheckResult:
    """The verdict of an interaction from its facts and the feedback the validator left in `work`
    (the same rules wherever the interaction ran)."""
    check = validator.collect(work, facts.code, test, facts.failure)
    return _verdict(check, facts.code, facts.validator_first, facts.observation)


def interact(launch: ValidatorLaunch, submission_spec: RunSpec, grace_s: float,
             start: Callable[[RunSpec], object] | None = None) -> InteractionFacts:
    """Start the validator, then the submission wired to it, and supervise both. `grace_s` is how
    long the validator may run on once the submission has ended (the problem's validation time)."""
    if start is None:
        from judge import sandbox

        start = sandbox.start
    to_sub_read, to_sub_write = _pipe()
    to_val_read, to_val_write = _pipe()
    try:
        with hardening.spawn_guard():  # owned before a sandbox sweep in another thread can look
            process = subprocess.Popen(launch.argv, stdin=to_val_read, stdout=to_sub_write, stderr=launch.stderr_fd,
                                       cwd=launch.cwd, env=launch.env, pass_fds=launch.pass_fds,
                                       start_new_session=True)
            hardening.own(process.pid)
    except OSError as error:
        _close(to_sub_read, to_sub_write, to_val_read, to_val_write)
        return InteractionFacts(not_run("the validator did not start"), None,
                                failure=f"cannot start the output validator: {error}")
    validator_end = _HeldEnd(to_sub_write)  # the submission sees EOF once the validator is reaped
    try:
        refused = launch.started(process.pid) if launch.started else None
        if refused:
            _close(to_val_write, to_sub_read, to_val_read)
            _kill_group(process)
            process.wait()
            return InteractionFacts(not_run("the submission was not started"), None, failure=refused)
        return _start_and_supervise(process, start, submission_spec, grace_s, to_sub_read=to_sub_read,
                                    to_val_read=to_val_read, to_val_write=to_val_write, validator_end=validator_end)
    finally:
        validator_end.close()
        hardening.disown(process.pid)


def _start_and_supervise(process: subprocess.Popen, start, submission_spec: RunSpec, grace_s: float, *,
                         to_sub_read: int, to_val_read: int, to_val_write: int,
                         validator_end: _HeldEnd) -> InteractionFacts:
    """Start the submission wired to the running validator, then supervise both."""
    spec = replace(submission_spec, stdin_path=None, stdin_fd=to_sub_read, stdout_fd=to_val_write)
    try:
        running = start(spec)
    except Exception as error:
        _close(to_val_write, to_sub_read, to_val_read)
        _kill_group(process)
        process.wait()
        return InteractionFacts(not_run(f"could not start: {error}"), None,
                                failure=f"the sandbox could not start the submission: {error}")
    submission_end = _HeldEnd(to_val_write)  # the validator sees EOF once the submission is reaped
    # We keep both read ends, to see each side's output close (POLLHUP). The validator's we also
    # drain once the submission is gone, so a chatty validator neither blocks nor dies of
    # SIGPIPE; the submission's we close once the validator is gone (it gets SIGPIPE, as with
    # problemtools, and rule 3 does not count that as a crash).
    try:
        return _supervise(process, running, val_out=to_sub_read, sub_out=to_val_read, grace=grace_s,
                          wall_time_s=submission_spec.limits.wall_time_s, ends=(validator_end, submission_end))
    finally:
        submission_end.close()


def _watch_hangup(fd: int, stop: threading.Event, on_hangup: Callable[[], None]) -> None:
    """Call `on_hangup` when every write end of the pipe behind `fd` is closed (reads nothing)."""
    poller = select.poll()
    poller.register(fd, 0)  # no POLLIN: pending data must not wake us, only POLLHUP does
    while not stop.is_set():
        if poller.poll(50):
            on_hangup()
            return


def _supervise(process: subprocess.Popen, running, *, val_out: int, sub_out: int, grace: float,
               wall_time_s: float, ends: tuple[_HeldEnd, _HeldEnd]) -> InteractionFacts:
    """Wait for both sides, enforce the validator's time, and decide who finished first.

    "First" is the side whose stdout closed first (its exit closes it): causal, unlike the order
    in which the two waits return (the sandbox's own clean-up delays the submission's by a few ms,
    enough to turn "the validator rejected, then the submission hit EOF and crashed" around).

    Long because the two watcher threads, the validator's deadline and the finish order share one
    condition variable and the state it guards; split up, that state would have to be passed around
    and locked in several places.
    """
    done = threading.Condition()
    finished: dict[str, float] = {}
    outcome: dict[str, object] = {}
    stop_val_watch, stop_sub_watch = threading.Event(), threading.Event()

    def mark(event: str) -> None:
        with done:
            finished.setdefault(event, time.monotonic())
            done.notify_all()

    validator_end, submission_end = ends

    def wait_submission() -> None:
        try:
            outcome["observation"] = running.wait()
        except Exception as error:
            outcome["observation"] = not_run(f"sandbox wait failed: {error}")
        mark("submission")
        submission_end.close()  # only now may the validator read the end of the submission's output

    def wait_validator() -> None:
        outcome["code"] = process.wait()
        mark("validator")
        validator_end.close()

    sub_watch = threading.Thread(target=_watch_hangup, args=(sub_out, stop_sub_watch,
                                                             lambda: mark("submission_out")), daemon=True)
    threads = [threading.Thread(target=wait_submission, daemon=True),
               threading.Thread(target=wait_validator, daemon=True),
               threading.Thread(target=_watch_hangup, args=(val_out, stop_val_watch,
                                                            lambda: mark("validator_out")), daemon=True),
               sub_watch]
    for thread in threads:
        thread.start()
    sub_out_open = True

    started = time.monotonic()
    deadline = started + wall_time_s + grace + 1.0  # for the validator; the sandbox times the submission
    backstop = started + wall_time_s + 5.0  # only if the sandbox failed to stop the submission itself
    drainers: dict[str, threading.Thread] = {}
    validator_timed_out = False
    killed_submission = False
    with done:
        while "validator" not in finished or "submission" not in finished:
            now = time.monotonic()
            if "submission" in finished and "submission" not in drainers:
                drainers["submission"] = threading.Thread(target=_drain, args=(val_out,), daemon=True)
                drainers["submission"].start()
                deadline = min(deadline, now + grace)
            if "validator" in finished and sub_out_open:
                # Like problemtools: once the validator is gone, writing to it is SIGPIPE / EPIPE.
                stop_sub_watch.set()
                done.release()
                sub_watch.join()
                done.acquire()
                _close(sub_out)
                sub_out_open = False
                if ("submission" not in finished and "submission_out" not in finished
                        and outcome["code"] != EXIT_ACCEPT and not killed_submission):
                    # Rejected or broken: nothing the submission does can matter now. One whose
                    # stdout has closed is exiting on its own; a kill then would race its real exit
                    # status and report our kill as its crash.
                    running.kill()
                    killed_submission = True
            if "submission" not in finished and now >= backstop and not killed_submission:
                running.kill()
                killed_submission = True
            if "validator" not in finished and now >= deadline and not validator_timed_out:
                validator_timed_out = True
                _kill_group(process)
            done.wait(timeout=0.05)
    stop_val_watch.set()
    stop_sub_watch.set()
    for thread in [*threads, *drainers.values()]:
        thread.join(timeout=5)
    _close(val_out)
    if sub_out_open:
        _close(sub_out)

    observation: Observation = outcome["observation"]  # type: ignore[assignment]
    code: int = outcome["code"]  # type: ignore[assignment]
    # A side's stdout closes at its exit at the latest: the earlier of the two sightings is the
    # better estimate (watcher threads wake with some jitter).
    validator_closed = min(finished.get("validator_out", math.inf), finished["validator"])
    submission_closed = min(finished.get("submission_out", math.inf), finished["submission"])
    validator_first = validator_closed < submission_closed
    if validator_timed_out:
        return InteractionFacts(observation, None, validator_first,
                                f"the output validator ran longer than {grace:g} s after the submission ended")
    return InteractionFacts(observation, code, validator_first)


# Outcomes only the sandbox's own limits produce: a submission we killed after a rejection has none.
_LIMIT_OUTCOMES = frozenset({Outcome.TIME_LIMIT, Outcome.MEMORY_LIMIT, Outcome.OUTPUT_LIMIT})


def _verdict(check: CheckResult, code: int | None, validator_first: bool, observation: Observation) -> CheckResult:
    if code not in (EXIT_ACCEPT, EXIT_REJECT):
        return check  # rule 1: collect() already made it JUDGE_ERROR
    if code == EXIT_REJECT and validator_first and observation.outcome not in _LIMIT_OUTCOMES:
        return check  # rule 2
    failed = _SUBMISSION_FAILURES.get(observation.outcome)
    if observation.outcome == Outcome.RUNTIME_ERROR and observation.signal == signal.SIGPIPE:
        failed = None  # it wrote after the validator was done: let the validator decide
    if failed is not None:  # rule 3
        note = observation.detail or failed.value.lower().replace("_", " ")
        feedback = f"{note}\n{check.feedback}".strip()
        return replace_verdict(check, failed, feedback)
    return check  # rule 4


def replace_verdict(check: CheckResult, verdict: Verdict, feedback: str) -> CheckResult:
    return CheckResult(verdict, None, feedback, check.team_message)
