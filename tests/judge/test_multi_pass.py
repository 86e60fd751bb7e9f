"""Multi-pass problems (DOMjudge's `validation: custom multi-pass`, 2023-07 `type: multi-pass`): the
validator asks for another run by leaving nextpass.in in its feedback directory, which lives across
the passes of one test."""

import pytest

from judge.engine import JudgeOptions, judge_submission
from judge.languages import LANGUAGES
from judge.problem import load_problem
from judge.runner import LocalRunner
from judge.verdict import Verdict
from tests.judge.problem.packages import doubling_package


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_CACHE_DIR", str(tmp_path / "cache"))


def _problem(tmp_path, passes: int):
    return load_problem(doubling_package(tmp_path / "p", passes))


def _judge(problem, source: str):
    return judge_submission(problem, LANGUAGES["python"], source.encode(), LocalRunner(),
                            JudgeOptions(time_limit_s=2))


def test_each_pass_runs_on_the_previous_nextpass_in_until_the_validator_stops_asking(tmp_path):
    result = _judge(_problem(tmp_path, passes=5), "print(2 * int(input()))\n")
    assert result.verdict == Verdict.ACCEPTED, result.tests[0].feedback


def test_a_failing_later_pass_gives_its_verdict_and_names_the_pass(tmp_path):
    result = _judge(_problem(tmp_path, passes=5), "k = int(input())\nprint(2 * k if k < 3 else 0)\n")
    assert result.verdict == Verdict.WRONG_ANSWER
    assert result.tests[0].feedback.startswith("pass 3 of at most 5") and "wrong answer to 3" in result.tests[0].feedback


def test_a_run_failure_in_a_later_pass_ends_the_test(tmp_path):
    result = _judge(_problem(tmp_path, passes=5), "k = int(input())\nassert k < 2\nprint(2 * k)\n")
    assert result.verdict == Verdict.RUNTIME_ERROR and result.tests[0].feedback == "pass 2 of at most 5"


def test_asking_for_more_passes_than_the_limit_is_a_judge_error(tmp_path):
    result = _judge(_problem(tmp_path, passes=2), "print(2 * int(input()))\n")
    assert result.verdict == Verdict.JUDGE_ERROR
    assert "asked for pass 3" in result.reason and "validation_passes is 2" in result.reason


def test_every_pass_has_the_whole_time_limit(tmp_path):
    """Three passes of 0.6 s CPU each pass a 1 s limit: the limit is per pass, not per test."""
    spin = ("import time\nk = int(input())\nend = time.process_time() + 0.6\n"
            "while time.process_time() < end: pass\nprint(2 * k)\n")
    problem = _problem(tmp_path, passes=3)
    result = judge_submission(problem, LANGUAGES["python"], spin.encode(), LocalRunner(), JudgeOptions(time_limit_s=1))
    assert result.verdict == Verdict.ACCEPTED, result.tests[0].feedback
    assert 550 <= result.tests[0].time_ms < 1000  # the slowest pass, not the sum
