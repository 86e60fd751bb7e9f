"""The engine's sample mode and its progress callback, on an example package with two samples (a
scoring problem: groups) and this machine's sandbox."""

from pathlib import Path

import pytest

from judge.engine import JudgeOptions, judge_submission
from judge.languages import LANGUAGES
from judge.problem import load_problem
from judge.runner import LocalRunner
from judge.verdict import Verdict

REPO_ROOT = Path(__file__).resolve().parents[2]
SECOND_ONLY = "print(6 if input() == '3' else 0)\n"  # both samples' answer is 6; only sample 2 has n = 3


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("JUDGE_CACHE_DIR", str(tmp_path / "cache"))


def _judge(source: str, **options):
    problem = load_problem(REPO_ROOT / "problems" / "groups")
    return judge_submission(problem, LANGUAGES["python"], source.encode(), LocalRunner(), JudgeOptions(**options))


def test_sample_mode_judges_every_sample_and_only_them_keeping_output_next_to_the_expected():
    result = _judge(SECOND_ONLY, only_samples=True)
    assert [(t.name, t.verdict) for t in result.tests] == [
        ("sample/1", Verdict.WRONG_ANSWER), ("sample/2", Verdict.ACCEPTED)]  # no stop after the first
    assert (result.verdict, result.score) == (Verdict.WRONG_ANSWER, None)
    first = result.to_json()["tests"][0]
    assert (first["output"], first["expected_output"], first["output_truncated"]) == ("0\n", "6\n", False)


def test_sample_mode_cuts_each_output_at_its_limit_and_says_so():
    result = _judge("print('x' * 100)\n", only_samples=True, keep_output_bytes=10)
    assert (result.tests[0].output, result.tests[0].output_truncated) == ("x" * 10, True)


def test_a_full_judging_keeps_no_output_and_reports_tests_done_once_a_batch():
    seen = []
    result = _judge(SECOND_ONLY, batch_size=4, tests_done=lambda done, total: seen.append((done, total)))
    total = len(load_problem(REPO_ROOT / "problems" / "groups").test_cases())
    assert "output" not in result.to_json()["tests"][0]
    assert seen[0] == (0, total) and all(done % 4 == 0 or done == len(result.tests) for done, _ in seen[1:]), seen
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
