"""Judge one submission against one problem: compile, run in batches, check, aggregate.

Running and checking are separate steps: the runner only observes (it may be a sandbox in another
execution environment); the checker, which holds the answers, runs here.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from judge import __version__
from judge.checkers import CustomValidator, checker_for
from judge.languages import Language
from judge.problem import Problem, TestCase
from judge.result import FEEDBACK_LIMIT, SubmissionResult, TestResult
from judge.runner import CompileOutcome, FirstBatch, Runner, TestInput
from judge.sandbox.api import Limits, Observation, Outcome
from judge.verdict import Verdict

DEFAULT_TIME_LIMIT_S = 1.0
# The JVM's RSS is polled: its kernel peak may pass the limit between two polls of a clean run.
MEMORY_REPORT_SLACK = 1.1
WALL_FACTOR, WALL_SLACK_S = 2.0, 1.0  # wall limit = 2 x CPU limit + 1 s: sleepers end as TLE

_OUTCOME_VERDICT = {
    Outcome.TIME_LIMIT: Verdict.TIME_LIMIT_EXCEEDED,
    Outcome.MEMORY_LIMIT: Verdict.MEMORY_LIMIT_EXCEEDED,
    Outcome.OUTPUT_LIMIT: Verdict.OUTPUT_LIMIT_EXCEEDED,
    Outcome.RUNTIME_ERROR: Verdict.RUNTIME_ERROR,
    Outcome.SANDBOX_ERROR: Verdict.JUDGE_ERROR,
}


@dataclass
class JudgeOptions:
    time_limit_s: float | None = None  # overrides the package's time limit
    run_all_tests: bool = False  # pass-fail: keep going after the first failure
    batch_size: int = 1  # tests per runner call (the Lambda runner wants more than one)
    progress: Callable[[str], None] | None = None
    # Called after each test with (tests done, tests in all): a progress bar's numbers.
    tests_done: Callable[[int, int], None] | None = None
    # Judge data/sample only, every sample (no stop at the first failure), keeping each sample's
    # output and expected output up to keep_output_bytes: samples are public.
    only_samples: bool = False
    keep_output_bytes: int = 16 * 1024


def time_limit_for(problem: Problem, options: JudgeOptions) -> float:
    if options.time_limit_s is not None:
        return options.time_limit_s
    return problem.limits.time_limit_s or DEFAULT_TIME_LIMIT_S


def limits_for(problem: Problem, options: JudgeOptions) -> Limits:
    cpu = time_limit_for(problem, options)
    return Limits(
        cpu_time_s=cpu,
        wall_time_s=cpu * WALL_FACTOR + WALL_SLACK_S,
        memory_mib=problem.limits.memory_mib,
        output_mib=problem.limits.output_mib,
    )


def verdict_of_run(language: Language, observation: Observation, limits: Limits | None = None) -> Verdict | None:
    """The verdict a run earns before checking; None when it exited cleanly and must be checked.

    With `limits`, what the runner reports is checked against them too: a runner in another
    execution environment is told the limits, and a clean exit it reports over them is not one."""
    if limits is not None and observation.outcome in (Outcome.OK, Outcome.RUNTIME_ERROR):
        if observation.cpu_ms > limits.cpu_time_s * 1000:
            return Verdict.TIME_LIMIT_EXCEEDED
        if observation.memory_kb > limits.memory_mib * 1024 * MEMORY_REPORT_SLACK:
            return Verdict.MEMORY_LIMIT_EXCEEDED
    if observation.outcome == Outcome.OK:
        return None
    # A runtime that turns a full heap into an exception and an exit code: still a memory limit.
    if (observation.outcome == Outcome.RUNTIME_ERROR and language.oom_marker
            and language.oom_marker in observation.stderr):
        return Verdict.MEMORY_LIMIT_EXCEEDED
    return _OUTCOME_VERDICT[observation.outcome]


def _batches(tests: list[TestCase], size: int) -> Iterator[list[TestCase]]:
    for start in range(0, len(tests), max(1, size)):
        yield tests[start:start + size]


def _test_result(test: TestCase, observation: Observation, verdict: Verdict,
                 score: float | None = None, feedback: str = "") -> TestResult:
    if not feedback and verdict == Verdict.JUDGE_ERROR:
        feedback = observation.detail
    return TestResult(
        name=test.name, group=test.group, verdict=verdict, time_ms=observation.cpu_ms,
        wall_ms=observation.wall_ms, memory_kb=observation.memory_kb, exit_code=observation.exit_code,
        signal=observation.signal, score=score, feedback=feedback[:FEEDBACK_LIMIT],
    )


def judge_submission(problem: Problem, language: Language, source: bytes, runner: Runner,
                     options: JudgeOptions | None = None) -> SubmissionResult:
    options = options or JudgeOptions()
    limits = limits_for(problem, options)
    result = SubmissionResult(
        verdict=Verdict.JUDGE_ERROR, language=language.name, problem=problem.name,
        time_limit_ms=round(limits.cpu_time_s * 1000), memory_limit_kb=limits.memory_mib * 1024,
        judge={"version": __version__, "sandbox": runner_description(runner)},
    )
    refused = _refusal(problem, language, source)
    if refused:
        result.verdict, result.reason = Verdict.COMPILATION_ERROR, refused
        result.compile_output = refused
        return result
    tests = problem.test_cases()
    if options.only_samples:
        tests = [test for test in tests if test.is_sample]
    _progress(options, "compiling")
    # The first batch rides on the compile call: one sandbox invocation fewer per submission.
    runs_ahead = getattr(runner, "runs_ahead", False) and not problem.is_interactive and not problem.is_multi_pass
    if runs_ahead:
        first = FirstBatch([TestInput(t.name, t.input_path) for t in tests[:options.batch_size]],
                           limits, _stops_at_first_failure(problem, options))
        compiled = runner.compile(language, source, then_run=first)
    else:
        compiled = runner.compile(language, source)
    result.judge["sandbox"] = runner_description(runner)  # a remote runner knows its mode now
    result.compile_output = compiled.output
    if not compiled.ok:
        if compiled.failure_is_judge_error():
            result.reason = compiled.output
            return result
        result.verdict, result.reason = Verdict.COMPILATION_ERROR, "compilation failed"
        return result
    if not runs_ahead:  # else the first batch's runs are in already: 0 done would be old news at once
        _report(options, [], len(tests))
    if problem.is_interactive:
        results = _run_interactive(problem, language, compiled, runner, tests, limits, options)
    elif problem.is_multi_pass:
        results = _run_multi_pass(problem, language, compiled, runner, tests, limits, options)
    else:
        results = _run_and_check(problem, language, compiled, runner, tests, limits, options)
    result.tests = results
    result.time_ms = max((t.time_ms for t in results), default=0)
    result.wall_ms = max((t.wall_ms for t in results), default=0)
    result.memory_kb = max((t.memory_kb for t in results), default=0)
    result.verdict, result.score = _samples_verdict(results) if options.only_samples else _aggregate(problem, results)
    if result.verdict == Verdict.JUDGE_ERROR:
        failed = next((t for t in results if t.verdict == Verdict.JUDGE_ERROR), None)
        result.reason = f"test {failed.name}: {failed.feedback}" if failed else "no test ran"
    return result


def _refusal(problem: Problem, language: Language, source: bytes) -> str:
    """Why the package refuses this submission before anything runs (its `languages` and
    `limits.code`), as a compile error with that reason; "" when it is taken."""
    if not problem.allows(language):
        taken = ", ".join(sorted(problem.languages or ())) or "none this judge runs"
        return f"{language.name} is not one of this problem's languages ({taken})"
    limit = problem.limits.code_kib * 1024
    if len(source) > limit:
        return f"the source is {len(source)} bytes, over this problem's code limit of {problem.limits.code_kib} KiB"
    return ""


def _stops_at_first_failure(problem: Problem, options: JudgeOptions) -> bool:
    return not problem.is_scoring and not options.run_all_tests and not options.only_samples


def _stops_after(problem: Problem, options: JudgeOptions, verdict: Verdict) -> bool:
    return verdict != Verdict.ACCEPTED and _stops_at_first_failure(problem, options)


def _samples_verdict(results: list[TestResult]) -> tuple[Verdict, float | None]:
    """Sample mode: the first failing sample's verdict, ACCEPTED when all pass; no score (the
    problem's grading is over its secret data)."""
    failed = next((t.verdict for t in results if t.verdict != Verdict.ACCEPTED), None)
    return (failed or (Verdict.ACCEPTED if results else Verdict.JUDGE_ERROR)), None


def _with_output(result: TestResult, test: TestCase, stdout: bytes, options: JudgeOptions) -> TestResult:
    """Sample mode: the test's output next to its expected one, each cut at keep_output_bytes."""
    if not options.only_samples:
        return result
    limit = options.keep_output_bytes
    expected = Path(test.answer_path).read_bytes()[:limit + 1] if test.answer_path else b""
    result.output = stdout[:limit].decode("utf-8", errors="replace")
    result.expected_output = expected[:limit].decode("utf-8", errors="replace")
    result.output_truncated = len(stdout) > limit or len(expected) > limit
    return result


def _report(options: JudgeOptions, results: list[TestResult], total: int) -> None:
    if options.tests_done:
        options.tests_done(len(results), total)


def _run_and_check(problem: Problem, language: Language, compiled: CompileOutcome, runner: Runner,
                   tests: list[TestCase], limits: Limits, options: JudgeOptions) -> list[TestResult]:
    checker = checker_for(problem)
    results: list[TestResult] = []
    for batch in _batches(tests, options.batch_size):
        _progress(options, f"running {batch[0].name} ({len(results) + 1}/{len(tests)})")
        stops = _stops_at_first_failure(problem, options)
        observations = runner.run(language, compiled, [TestInput(t.name, t.input_path) for t in batch], limits,
                                  stop_at_failure=stops)
        if len(observations) != len(batch) and not (stops and observations and observations[-1].outcome != Outcome.OK):
            raise RuntimeError(f"the runner answered {len(observations)} of a batch of {len(batch)} tests")
        for test, observation in zip(batch, observations, strict=False):
            verdict = verdict_of_run(language, observation, limits)
            if verdict is None:
                check = checker.check(test, observation.stdout, problem.output_validator_flags(test))
                tested = _test_result(test, observation, check.verdict, check.score, check.feedback)
            else:
                tested = _test_result(test, observation, verdict)
            results.append(_with_output(tested, test, observation.stdout, options))
            if _stops_after(problem, options, results[-1].verdict):
                return results
        _report(options, results, len(tests))  # once a batch: its tests end together
    return results


def _run_multi_pass(problem: Problem, language: Language, compiled: CompileOutcome, runner: Runner,
                    tests: list[TestCase], limits: Limits, options: JudgeOptions) -> list[TestResult]:
    checker = checker_for(problem)
    results: list[TestResult] = []
    for index, test in enumerate(tests, 1):
        _progress(options, f"running {test.name} ({index}/{len(tests)})")
        results.append(_passes(problem, language, compiled, runner, test, limits, checker))
        _report(options, results, len(tests))
        if _stops_after(problem, options, results[-1].verdict):
            break
    return results


def _passes(problem: Problem, language: Language, compiled: CompileOutcome, runner: Runner, test: TestCase,
            limits: Limits, checker: CustomValidator) -> TestResult:
    """One test of a multi-pass problem: run, validate, and while the validator accepts and leaves
    `nextpass.in` in the feedback directory, run again on it (same answer, same feedback directory).

    Each pass has the whole time and memory limit, as in DOMjudge and problemtools; the test's time is
    its slowest pass (problemtools). A failed pass ends the test with its verdict; asking for a pass
    beyond `limits.validation_passes` is the validator's fault, a JUDGE_ERROR (both tools)."""
    passes = problem.limits.validation_passes
    with tempfile.TemporaryDirectory(prefix="judge-passes-") as scratch:
        feedback = Path(scratch) / "feedback"
        feedback.mkdir()
        input_path, slowest = Path(test.input_path), None
        for number in range(1, passes + 1):
            [observation] = runner.run(language, compiled, [TestInput(test.name, input_path)], limits)
            if slowest is None or observation.cpu_ms >= slowest.cpu_ms:
                slowest = observation
            where = f"pass {number} of at most {passes}"
            verdict = verdict_of_run(language, observation, limits)
            if verdict is not None:
                return _test_result(test, slowest, verdict, feedback=where)
            check = checker.check(test, observation.stdout, problem.output_validator_flags(test),
                                  input_path=input_path, feedback_dir=feedback)
            next_input = feedback / "nextpass.in"
            if check.verdict != Verdict.ACCEPTED or not next_input.is_file():
                return _test_result(test, slowest, check.verdict, check.score, where + (f": {check.feedback}" if check.feedback else ""))
            if number == passes:
                return _test_result(test, slowest, Verdict.JUDGE_ERROR, feedback=(
                    f"the output validator asked for pass {passes + 1} (nextpass.in), but "
                    f"limits.validation_passes is {passes}"))
            # A fresh name per pass: a remote runner may cache staged inputs by path.
            input_path = Path(scratch) / f"pass{number + 1}-{uuid.uuid4().hex}.in"
            next_input.replace(input_path)
    raise AssertionError("unreachable: the loop returns on its last pass")


def _run_interactive(problem: Problem, language: Language, compiled: CompileOutcome, runner: Runner,
                     tests: list[TestCase], limits: Limits, options: JudgeOptions) -> list[TestResult]:
    interact = getattr(runner, "interact", None)
    if interact is None:
        raise NotImplementedError("this runner cannot judge interactive problems")
    validator = checker_for(problem)
    results: list[TestResult] = []
    for index, test in enumerate(tests, 1):
        _progress(options, f"interacting {test.name} ({index}/{len(tests)})")
        observation, check = interact(problem, language, compiled, test, limits, validator)
        # The interaction already ranks validator and submission verdicts; only the JVM's
        # out-of-memory exit still needs naming.
        verdict = check.verdict
        if verdict == Verdict.RUNTIME_ERROR and verdict_of_run(language, observation) == Verdict.MEMORY_LIMIT_EXCEEDED:
            verdict = Verdict.MEMORY_LIMIT_EXCEEDED
        results.append(_test_result(test, observation, verdict, check.score, check.feedback))
        _report(options, results, len(tests))
        if _stops_after(problem, options, verdict):
            break
    return results


def _aggregate(problem: Problem, results: list[TestResult]) -> tuple[Verdict, float | None]:
    from judge.problem.grading import aggregate

    return aggregate(problem, results)


def runner_description(runner: Runner) -> str:
    describe = getattr(runner, "describe", None)
    return describe() if describe else type(runner).__name__


def _progress(options: JudgeOptions, message: str) -> None:
    if options.progress:
        options.progress(message)
