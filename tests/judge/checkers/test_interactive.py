"""Interactive wiring and verdict rules, with a guess-the-number validator.

The submission side runs through tests/judge/checkers/sandbox_shim.py (the sandbox contract without the
sandbox), so these tests exercise the pipes, the early exits and the verdict rules on their own.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

from judge.checkers import checker_for
from judge.checkers.interactive import run_interactive
from judge.problem import load_problem
from judge.sandbox.api import Limits, Outcome, RunSpec
from judge.verdict import Verdict
from tests.judge.checkers import sandbox_shim
from tests.judge.problem.packages import write_package

VALIDATOR = r"""
import sys, time
input_file, answer_file, feedback = sys.argv[1:4]
flags = set(sys.argv[4:])
secret = int(open(input_file).read())
def judge(code, message):
    open(feedback + "judgemessage.txt", "w").write(message)
    sys.exit(code)
if "crash" in flags:
    raise SystemExit(7)
if "quick" in flags:
    judge(42, "accepted without asking")
for guess_number in range(1, 11):
    line = sys.stdin.readline()
    if not line:
        if "hang" in flags:
            time.sleep(60)
        if "flood" in flags:
            try:
                sys.stdout.write("noise\n" * 1_000_000)
                sys.stdout.flush()
            except BrokenPipeError:
                judge(1, "broken pipe")
            judge(42, "flooded")
        judge(43, f"no guess {guess_number}: end of input")
    try:
        guess = int(line)
    except ValueError:
        judge(43, f"not a number: {line!r}")
    if guess == secret:
        print("correct", flush=True)
        open(feedback + "teammessage.txt", "w").write(f"{guess_number} guesses")
        judge(42, f"found {secret} in {guess_number} guesses")
    print("lower" if guess > secret else "higher", flush=True)
judge(43, "too many guesses")
"""

SUBMISSIONS = {
    "correct": """
lo, hi = 1, 1000
while True:
    mid = (lo + hi) // 2
    print(mid, flush=True)
    reply = input()
    if reply == "correct":
        break
    lo, hi = (lo, mid - 1) if reply == "lower" else (mid + 1, hi)
""",
    "always_one": """
while True:
    print(1, flush=True)
    input()
""",
    "crash": """
print(500, flush=True)
raise RuntimeError("boom")
""",
    "silent": """
import sys
sys.stdin.readline()
""",
    "crash_after_correct": """
import sys
lo, hi = 1, 1000
while True:
    mid = (lo + hi) // 2
    print(mid, flush=True)
    reply = input()
    if reply == "correct":
        sys.exit(3)
    lo, hi = (lo, mid - 1) if reply == "lower" else (mid + 1, hi)
""",
    "loop_after_correct": """
lo, hi = 1, 1000
while True:
    mid = (lo + hi) // 2
    print(mid, flush=True)
    reply = input()
    if reply == "correct":
        while True:
            pass
    lo, hi = (lo, mid - 1) if reply == "lower" else (mid + 1, hi)
""",
    "quits": "",
    "garbage_then_read": """
print("x", flush=True)
input()
""",
    "one_guess_then_exit": """
print(500)
""",
}


@pytest.fixture
def problem(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_CACHE_DIR", str(tmp_path / "cache"))
    root = write_package(tmp_path / "guess", {
        "problem.yaml": "problem_format_version: 2023-07-draft\nname: Guess\ntype: interactive\n"
                        "limits:\n  validation_time: 2\n",
        "output_validator/guess.py": VALIDATOR,
        "data/secret/1.in": "737\n",
    })
    return load_problem(root)


def run(problem, tmp_path, submission: str, flags=(), argv=None, wall=3.0):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    if argv is None:
        (work / "main.py").write_text(SUBMISSIONS[submission])
        argv = [sys.executable, "main.py"]
    spec = RunSpec(argv=argv, workdir=work, limits=Limits(cpu_time_s=wall, wall_time_s=wall))
    test = problem.test_cases()[0]
    return run_interactive(problem, test, spec, checker_for(problem), flags=list(flags), start=sandbox_shim.start)


def test_correct_submission_is_accepted_with_feedback(problem, tmp_path):
    observation, check = run(problem, tmp_path, "correct")
    assert observation.outcome == Outcome.OK
    assert check.verdict == Verdict.ACCEPTED
    assert check.feedback.startswith("found 737 in") and check.team_message.endswith("guesses")


def test_validator_rejecting_first_is_wrong_answer(problem, tmp_path):
    started = time.monotonic()
    _, check = run(problem, tmp_path, "always_one")
    assert check.verdict == Verdict.WRONG_ANSWER and check.feedback == "too many guesses"
    assert time.monotonic() - started < 2.5  # killed at once, not left to its time limit


def test_crash_before_the_validator_decides_is_runtime_error(problem, tmp_path):
    observation, check = run(problem, tmp_path, "crash")
    assert observation.outcome == Outcome.RUNTIME_ERROR
    assert check.verdict == Verdict.RUNTIME_ERROR


def test_crash_after_the_validator_accepted_is_runtime_error(problem, tmp_path):
    _, check = run(problem, tmp_path, "crash_after_correct")
    assert check.verdict == Verdict.RUNTIME_ERROR


def test_silent_submission_times_out(problem, tmp_path):
    observation, check = run(problem, tmp_path, "silent", wall=1.0)
    assert observation.outcome == Outcome.TIME_LIMIT
    assert check.verdict == Verdict.TIME_LIMIT_EXCEEDED


def test_running_on_after_acceptance_is_time_limit(problem, tmp_path):
    _, check = run(problem, tmp_path, "loop_after_correct", wall=1.0)
    assert check.verdict == Verdict.TIME_LIMIT_EXCEEDED


def test_submission_quitting_early_is_judged_by_the_validator(problem, tmp_path):
    observation, check = run(problem, tmp_path, "quits")
    assert observation.outcome == Outcome.OK
    assert check.verdict == Verdict.WRONG_ANSWER and "end of input" in check.feedback


def test_sigpipe_after_the_validator_finished_is_not_a_crash(problem, tmp_path):
    observation, check = run(problem, tmp_path, "", flags=["quick"], argv=["/bin/sh", "-c", "exec yes"])
    assert observation.signal == 13
    assert check.verdict == Verdict.ACCEPTED


def test_validator_crash_is_judge_error(problem, tmp_path):
    _, check = run(problem, tmp_path, "correct", flags=["crash"])
    assert check.verdict == Verdict.JUDGE_ERROR and "exited with code 7" in check.feedback


def test_validator_hanging_after_the_submission_ended_is_judge_error(problem, tmp_path):
    started = time.monotonic()
    _, check = run(problem, tmp_path, "quits", flags=["hang"])
    assert check.verdict == Verdict.JUDGE_ERROR and "ran longer than 2 s" in check.feedback
    assert time.monotonic() - started < 10


def test_validator_writing_to_a_finished_submission_does_not_block(problem, tmp_path):
    _, check = run(problem, tmp_path, "quits", flags=["flood"])
    assert check.verdict == Verdict.ACCEPTED and check.feedback == "flooded"


def test_sandbox_failure_to_start_is_judge_error(problem, tmp_path):
    def refuse(spec):
        raise OSError("no such launcher")

    test = problem.test_cases()[0]
    spec = RunSpec(argv=["x"], workdir=tmp_path, limits=Limits())
    observation, check = run_interactive(problem, test, spec, checker_for(problem), start=refuse)
    assert observation.outcome == Outcome.SANDBOX_ERROR
    assert check.verdict == Verdict.JUDGE_ERROR and "no such launcher" in check.feedback


def test_no_file_descriptors_leak(problem, tmp_path):
    import os

    before = len(os.listdir("/proc/self/fd"))
    for name in ("correct", "always_one", "quits"):
        run(problem, tmp_path, name)
    assert len(os.listdir("/proc/self/fd")) == before


def _real_sandbox():
    try:
        from judge import sandbox
    except ImportError:
        return None
    return getattr(sandbox, "start", None)


@pytest.mark.skipif(_real_sandbox() is None or not os.path.exists("/usr/bin/python3"),
                    reason="judge.sandbox.start or /usr/bin/python3 unavailable")
@pytest.mark.parametrize("name, verdict", [("correct", Verdict.ACCEPTED), ("always_one", Verdict.WRONG_ANSWER),
                                           ("crash", Verdict.RUNTIME_ERROR)])
def test_with_the_real_sandbox(problem, tmp_path, name, verdict):
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.py").write_text(SUBMISSIONS[name])
    # The system interpreter: what the sandbox can see, unlike a pyenv shim under /root.
    spec = RunSpec(argv=["/usr/bin/python3", "main.py"], workdir=work, env={"PATH": "/usr/bin:/bin"},
                   limits=Limits(cpu_time_s=2, wall_time_s=4))
    _, check = run_interactive(problem, problem.test_cases()[0], spec, checker_for(problem))
    assert check.verdict == verdict


@pytest.mark.skipif(_real_sandbox() is None or not os.path.exists("/usr/bin/python3"),
                    reason="judge.sandbox.start or /usr/bin/python3 unavailable")
def test_a_submission_that_exits_as_the_validator_rejects_is_never_reported_as_crashed(problem, tmp_path):
    """problemtools' guess/wrong_answer/guess.py: one guess, then a clean exit; the validator answers,
    reads end of input and rejects at about the same moment. Killing the submission then raced its own
    exit and turned WRONG_ANSWER into "killed on request" (RUNTIME_ERROR) about one run in six."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.py").write_text(SUBMISSIONS["one_guess_then_exit"])
    spec = RunSpec(argv=["/usr/bin/python3", "main.py"], workdir=work, env={"PATH": "/usr/bin:/bin"},
                   limits=Limits(cpu_time_s=2, wall_time_s=4))
    verdicts = [run_interactive(problem, problem.test_cases()[0], spec, checker_for(problem))[1].verdict
                for _ in range(30)]
    assert set(verdicts) == {Verdict.WRONG_ANSWER}, verdicts


def test_who_exited_first_follows_cause_and_effect_however_late_the_judge_sees_it(problem, tmp_path, monkeypatch):
    """The validator rejects garbage and exits; the submission, fed nothing more, crashes on the end of
    its input. However late the judge sees the validator's exit (here 0.3 s late, with no hang-up
    sightings at all, as on a loaded machine), the submission cannot read that end of input before:
    WRONG_ANSWER, never its crash (DOMjudge's boolfind-test-double.py came out RUNTIME_ERROR under load)."""
    import subprocess
    import time
    from types import SimpleNamespace

    from judge.checkers import interactive

    class ReapedLate(subprocess.Popen):
        def wait(self, timeout=None):
            time.sleep(0.3)
            return super().wait(timeout)

    monkeypatch.setattr(interactive, "subprocess", SimpleNamespace(**{**vars(subprocess), "Popen": ReapedLate}))
    monkeypatch.setattr(interactive, "_watch_hangup", lambda fd, stop, on_hangup: stop.wait())
    observation, check = run(problem, tmp_path, "garbage_then_read")
    assert check.verdict == Verdict.WRONG_ANSWER and "not a number" in check.feedback
