"""Verdict and score aggregation: pass-fail, legacy graders, 2023-07 scoring (examples after the spec)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from judge.problem import load_problem
from judge.problem.grading import aggregate, case_max_scores, grade_submission, max_score, should_skip
from judge.verdict import Verdict
from tests.judge.problem.packages import cases, write_package

AC, WA, TLE, RTE, JE = (Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.TIME_LIMIT_EXCEEDED,
                        Verdict.RUNTIME_ERROR, Verdict.JUDGE_ERROR)


@dataclass
class R:
    name: str
    verdict: Verdict
    score: float | None = None


def results(**verdicts) -> list[R]:
    """results(secret__g1__1=AC) -> [R("secret/g1/1", AC)]; a tuple gives (verdict, score)."""
    out = []
    for key, value in verdicts.items():
        verdict, score = value if isinstance(value, tuple) else (value, None)
        out.append(R(key.replace("__", "/"), verdict, score))
    return out


# pass-fail ----------------------------------------------------------------------------------------

@pytest.fixture
def pass_fail(tmp_path):
    return load_problem(write_package(tmp_path / "p", {"problem.yaml": "name: x\n", **cases("sample", ["1"]),
                                                        **cases("secret", ["1", "2", "3"])}))


def test_pass_fail_first_failure_in_test_order(pass_fail):
    assert aggregate(pass_fail, results(sample__1=AC, secret__1=AC, secret__2=AC, secret__3=AC)) == (AC, None)
    # Given out of order, the verdict is still the first failure in judging order.
    assert aggregate(pass_fail, results(secret__3=WA, secret__2=TLE, secret__1=AC, sample__1=AC)) == (TLE, None)
    assert aggregate(pass_fail, {"sample/1": R("sample/1", RTE)}) == (RTE, None)
    assert aggregate(pass_fail, []) == (JE, None)


def test_pass_fail_skips_after_first_failure(pass_fail):
    tests = pass_fail.test_cases()
    assert not should_skip(pass_fail, tests[2], results(sample__1=AC, secret__1=AC))
    assert should_skip(pass_fail, tests[2], results(sample__1=AC, secret__1=WA))


# legacy graders -------------------------------------------------------------------------------------

def legacy_scoring(tmp_path, secret_yaml, g1_yaml, g2_yaml, root_yaml=None, problem_yaml="type: scoring\n"):
    files = {"problem.yaml": "name: x\n" + problem_yaml, **cases("sample", ["1"]),
             **cases("secret/g1", ["1", "2", "3"]), **cases("secret/g2", ["1", "2"]),
             "data/secret/testdata.yaml": secret_yaml, "data/secret/g1/testdata.yaml": g1_yaml,
             "data/secret/g2/testdata.yaml": g2_yaml}
    if root_yaml is not None:
        files["data/testdata.yaml"] = root_yaml
    return load_problem(write_package(tmp_path / "s", files))


SUBTASKS = {  # the shape of problemtools' oddecho example: subtasks worth 30 and 70
    "secret_yaml": "on_reject: continue\nrange: 0 100\ngrader_flags: first_error accept_if_any_accepted\n",
    "g1_yaml": "on_reject: break\naccept_score: 30\nrange: 0 30\ngrader_flags: min\n",
    "g2_yaml": "on_reject: break\naccept_score: 70\nrange: 0 70\ngrader_flags: min\n",
}


def test_legacy_subtasks_partial_score(tmp_path):
    problem = legacy_scoring(tmp_path, **SUBTASKS)
    everything = {"sample__1": AC, "secret__g1__1": AC, "secret__g1__2": AC, "secret__g1__3": AC,
                      "secret__g2__1": AC, "secret__g2__2": AC}
    assert aggregate(problem, results(**everything)) == (AC, 100.0)
    partial = {**everything, "secret__g2__2": WA}
    grade = grade_submission(problem, results(**partial))
    assert (grade.verdict, grade.score) == (AC, 30.0)
    assert grade.groups["secret/g2"].verdict == WA and grade.groups["secret/g2"].score == 0
    # Samples do not count (ignore_sample is implied at the root): a failed sample changes nothing.
    assert aggregate(problem, results(**{**partial, "sample__1": WA})) == (AC, 30.0)
    # Nothing accepted: first_error gives the first failure, and a rejected submission scores 0.
    nothing = {"sample__1": AC, "secret__g1__1": TLE, "secret__g2__1": WA}
    assert aggregate(problem, results(**nothing)) == (TLE, 0.0)
    assert max_score(problem) == 100


def test_legacy_on_reject_break_ignores_later_results_and_skips(tmp_path):
    problem = legacy_scoring(tmp_path, **SUBTASKS)
    tests = {t.name: t for t in problem.test_cases()}
    so_far = results(sample__1=AC, secret__g1__1=AC, secret__g1__2=WA)
    assert should_skip(problem, tests["secret/g1/3"], so_far)
    assert not should_skip(problem, tests["secret/g2/1"], so_far)  # secret says continue
    # Even when a later test of a `break` group was run, it does not count.
    grade = grade_submission(problem, so_far + results(secret__g1__3=AC, secret__g2__1=AC, secret__g2__2=AC))
    assert grade.groups["secret/g1"] == grade.groups["secret/g1"].__class__(WA, 0.0)
    assert (grade.verdict, grade.score) == (AC, 70.0)


def test_legacy_worst_error_and_score_modes(tmp_path):
    problem = legacy_scoring(
        tmp_path,
        secret_yaml="on_reject: continue\ngrader_flags: always_accept max\n",
        g1_yaml="on_reject: continue\ngrader_flags: avg\naccept_score: 9\n",
        g2_yaml="on_reject: continue\n",  # defaults: worst_error, sum, accept 1
    )
    grade = grade_submission(problem, results(secret__g1__1=AC, secret__g1__2=AC, secret__g1__3=WA,
                                              secret__g2__1=WA, secret__g2__2=TLE))
    # g2: worst_error picks TLE over WA whatever the order; score sums reject scores (0).
    assert grade.groups["secret/g2"].verdict == TLE and grade.groups["secret/g2"].score == 0
    assert grade.groups["secret/g1"].score == pytest.approx(6.0)  # avg(9, 9, 0)
    assert (grade.verdict, grade.score) == (AC, 6.0)  # always_accept, max of subgroups
    # Conflicting modes: the last one wins.
    problem = legacy_scoring(tmp_path / "b", secret_yaml="on_reject: continue\ngrader_flags: sum min\n",
                             g1_yaml="accept_score: 2\n", g2_yaml="accept_score: 5\n")
    assert aggregate(problem, results(secret__g1__1=AC, secret__g1__2=AC, secret__g1__3=AC,
                                      secret__g2__1=AC, secret__g2__2=AC)) == (AC, 6.0)


def test_legacy_validator_scores_and_judge_errors(tmp_path):
    problem = legacy_scoring(tmp_path, secret_yaml="on_reject: continue\n", g1_yaml="on_reject: continue\n",
                             g2_yaml="on_reject: continue\n", problem_yaml="type: scoring\n")
    scored = results(secret__g1__1=(AC, 2.5), secret__g1__2=(AC, 0.5), secret__g1__3=AC,
                     secret__g2__1=AC, secret__g2__2=AC)
    assert aggregate(problem, scored) == (AC, 6.0)  # 2.5 + 0.5 + 1 (accept_score) + 1 + 1
    broken = results(secret__g1__1=AC, secret__g1__2=JE, secret__g1__3=AC, secret__g2__1=AC, secret__g2__2=AC)
    assert aggregate(problem, broken) == (JE, 0.0)


def test_legacy_ignore_sample_explicit_and_accept_if_any(tmp_path):
    problem = legacy_scoring(tmp_path, secret_yaml="on_reject: continue\ngrader_flags: accept_if_any_accepted\n",
                             g1_yaml="accept_score: 10\n", g2_yaml="accept_score: 10\n",
                             root_yaml="on_reject: continue\ngrader_flags: ignore_sample\n")
    grade = grade_submission(problem, results(sample__1=WA, secret__g1__1=AC, secret__g1__2=AC, secret__g1__3=AC,
                                              secret__g2__1=WA))
    assert (grade.verdict, grade.score) == (AC, 30.0)
    # Without ignore_sample at the root, the failed sample group makes the root WA (worst_error): score 0.
    problem = legacy_scoring(tmp_path / "b", secret_yaml="on_reject: continue\n", g1_yaml="\n", g2_yaml="\n",
                             root_yaml="on_reject: continue\n")
    assert aggregate(problem, results(sample__1=WA, secret__g1__1=AC)) == (WA, 0.0)


# 2023-07 scoring ---------------------------------------------------------------------------------------

def scoring_2023(tmp_path, files):
    return load_problem(write_package(tmp_path / "n", {
        "problem.yaml": "problem_format_version: 2023-07-draft\nname: x\ntype: scoring\n",
        **cases("sample", ["1"]), **files}))


def test_2023_pass_fail_subgroups_share_the_leftover(tmp_path):
    problem = scoring_2023(tmp_path, {
        "data/secret/g1/test_group.yaml": "scoring: {score: 40}\n",
        **cases("secret/g1", ["1", "2"]), **cases("secret/g2", ["1"]), **cases("secret/g3", ["1"]),
    })
    assert max_score(problem) == 100  # secret's default
    # g1 is worth 40; g2 and g3 split the remaining 60.
    grade = grade_submission(problem, results(sample__1=WA, secret__g1__1=AC, secret__g1__2=AC,
                                              secret__g2__1=AC, secret__g3__1=TLE))
    assert grade.groups["secret/g2"].score == 30 and grade.groups["secret/g3"].score == 0
    assert (grade.verdict, grade.score) == (AC, 70.0)
    # A pass-fail group with one failure earns nothing.
    assert aggregate(problem, results(secret__g1__1=AC, secret__g1__2=WA, secret__g2__1=WA, secret__g3__1=WA)) \
        == (WA, 0.0)
    tests = {t.name: t for t in problem.test_cases()}
    assert should_skip(problem, tests["secret/g1/2"], results(secret__g1__1=WA))
    assert not should_skip(problem, tests["secret/g2/1"], results(secret__g1__1=WA))


def test_2023_sum_of_test_cases_and_score_txt(tmp_path):
    problem = scoring_2023(tmp_path, {"data/secret/test_group.yaml": "scoring: {score: 60, aggregation: sum}\n",
                                      **cases("secret", ["1", "2", "3", "4"])})
    assert case_max_scores(problem) == {f"secret/{i}": 15.0 for i in range(1, 5)}
    assert aggregate(problem, results(secret__1=AC, secret__2=AC, secret__3=WA, secret__4=(AC, 7.5))) == (AC, 37.5)
    assert aggregate(problem, results(secret__1=AC, secret__2=AC, secret__3=AC, secret__4=AC)) == (AC, 60.0)
    # A validator score above the group's maximum is a judging error.
    assert aggregate(problem, results(secret__1=(AC, 99), secret__2=AC, secret__3=AC, secret__4=AC))[0] == JE


def test_2023_min_aggregation(tmp_path):
    problem = scoring_2023(tmp_path, {
        "data/secret/g/test_group.yaml": "scoring: {score: 50, aggregation: min}\n",
        **cases("secret/g", ["1", "2"]), **cases("secret/h", ["1"]),
    })
    assert case_max_scores(problem) == {"secret/g/1": 50.0, "secret/g/2": 50.0}
    assert aggregate(problem, results(secret__g__1=(AC, 30), secret__g__2=(AC, 40), secret__h__1=AC)) == (AC, 80.0)
    assert aggregate(problem, results(secret__g__1=(AC, 30), secret__g__2=RTE, secret__h__1=WA)) == (RTE, 0.0)


def test_2023_unbounded(tmp_path):
    problem = scoring_2023(tmp_path, {"data/secret/test_group.yaml": "scoring: {score: unbounded}\n",
                                      **cases("secret", ["1", "2"])})
    assert math.isinf(max_score(problem))
    assert aggregate(problem, results(secret__1=(AC, 5), secret__2=(AC, 7))) == (AC, 12.0)
    grade = grade_submission(problem, results(secret__1=(AC, 5), secret__2=AC))
    assert grade.verdict == JE and "score.txt" in grade.reason


def test_2023_judge_errors(tmp_path):
    problem = scoring_2023(tmp_path, {
        "data/secret/test_group.yaml": "scoring: {score: 10}\n",
        "data/secret/g1/test_group.yaml": "scoring: {score: 8}\n",
        "data/secret/g2/test_group.yaml": "scoring: {score: 8}\n",
        **cases("secret/g1", ["1"]), **cases("secret/g2", ["1"]),
    })
    grade = grade_submission(problem, results(secret__g1__1=AC, secret__g2__1=AC))
    assert grade.verdict == JE and "add up to 16" in grade.reason
    problem = scoring_2023(tmp_path / "b", {**cases("secret", ["1"])})
    assert aggregate(problem, results(secret__1=JE)) == (JE, 0.0)
