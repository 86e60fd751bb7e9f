"""Turn per-test verdicts (and validator scores) into the verdict and score of a submission.

Three rule sets, picked from the problem:

* pass-fail problems: the verdict is the first non-ACCEPTED verdict in judging order; no score.
* scoring problems, legacy style (`testdata.yaml` with on_reject / grader_flags / accept_score /
  reject_score / range): problemtools' default grader applied bottom-up over the group tree.
  A test scores its validator's `score.txt` if any, else accept_score / reject_score of its group.
  A group walks its items in order and stops at the first non-AC one when `on_reject: break`;
  verdict mode worst_error (default) | first_error | always_accept, score mode sum (default) | avg |
  min | max, flag accept_if_any_accepted, and ignore_sample (root only; implied at the root when
  data/ has no testdata.yaml). A JUDGE_ERROR item makes its group JUDGE_ERROR. The submission
  keeps the root's score only when the root's verdict is ACCEPTED, else 0 (as problemtools).
* scoring problems, 2023-07 style (`scoring: {score, aggregation}`): only data/secret is scored,
  default 100 points, `sum` at secret and `pass-fail` below; unspecified maxima are inferred as
  (M - S) / (A + T) under `sum` and M under `min`. A failed test scores 0; an accepted one its
  `score.txt`, else its maximum. A pass-fail group earns its maximum iff every test in it passed.
  Verdict: JUDGE_ERROR if any test is; ACCEPTED if every test passed or the score is positive
  (partial credit); otherwise the first failing verdict. Score 0 unless ACCEPTED.

Results are any objects with `.name`, `.verdict` and `.score` (e.g. `judge.result.TestResult`),
given as an iterable or a mapping by test name. Tests without a result were not judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from judge.problem.model import V2023_07, Problem, TestCase, TestGroup
from judge.verdict import Verdict

# problemtools' worst_error order (JE, IF, RTE, MLE, TLE, OLE, WA); IF has no counterpart here.
_WORST_FIRST = [Verdict.JUDGE_ERROR, Verdict.RUNTIME_ERROR, Verdict.MEMORY_LIMIT_EXCEEDED,
                Verdict.TIME_LIMIT_EXCEEDED, Verdict.OUTPUT_LIMIT_EXCEEDED, Verdict.WRONG_ANSWER,
                Verdict.COMPILATION_ERROR]
_SCORE_MODES = {
    "sum": sum,
    "avg": lambda scores: sum(scores) / len(scores) if scores else 0.0,
    "min": lambda scores: min(scores, default=0.0),
    "max": lambda scores: max(scores, default=0.0),
}
_EPSILON = 1e-9


class ResultLike(Protocol):
    name: str
    verdict: Verdict
    score: float | None


@dataclass(frozen=True)
class GroupGrade:
    verdict: Verdict
    score: float | None


@dataclass
class Grade:
    verdict: Verdict
    score: float | None
    groups: dict[str, GroupGrade] = field(default_factory=dict)  # by group name ("" is data/)
    reason: str = ""  # why JUDGE_ERROR, when the grading itself failed


def aggregate(problem: Problem, results: Iterable[ResultLike] | Mapping[str, ResultLike]) -> tuple[Verdict, float | None]:
    """(verdict, score) of a submission; score is None for pass-fail problems."""
    grade = grade_submission(problem, results)
    return grade.verdict, grade.score


def grade_submission(problem: Problem, results: Iterable[ResultLike] | Mapping[str, ResultLike]) -> Grade:
    by_name = _by_name(results)
    if not problem.is_scoring:
        return _pass_fail(problem, by_name)
    if problem.grading_style == V2023_07:
        return _Scoring2023(problem, by_name).grade()
    return _legacy(problem, by_name)


def should_skip(problem: Problem, test: TestCase, results: Iterable[ResultLike] | Mapping[str, ResultLike]) -> bool:
    """True when `test` cannot change the outcome given the results so far (judging order).

    Pass-fail: after the first failure. Legacy scoring: inside a group with `on_reject: break`
    that already has a failed item. 2023-07 scoring: inside a pass-fail group that already failed.
    """
    by_name = _by_name(results)
    if not problem.is_scoring:
        return any(r.verdict != Verdict.ACCEPTED for r in by_name.values())
    path = _path_to(problem.root_group, test)
    if problem.grading_style == V2023_07:
        for group in path:
            if group.name.startswith("secret/") and (group.settings.aggregation or "pass-fail") == "pass-fail":
                return any(by_name[c.name].verdict != Verdict.ACCEPTED
                           for c in group.all_cases() if c.name in by_name)
        return False
    for depth, group in enumerate(path):
        if group.settings.on_reject != "break":
            continue
        holder = path[depth + 1] if depth + 1 < len(path) else test
        ignore_sample = _legacy_flags(group, group.name == "")[3]
        for item in _counted(group, ignore_sample):
            if item is holder:
                break
            if isinstance(item, TestCase):
                result = by_name.get(item.name)
                if result is not None and result.verdict != Verdict.ACCEPTED:
                    return True
            else:
                graded = _legacy_group(problem, item, by_name, {})
                if graded is not None and graded.verdict != Verdict.ACCEPTED:
                    return True
    return False


def max_score(problem: Problem) -> float:
    """The best possible score (math.inf when unbounded)."""
    if problem.grading_style == V2023_07:
        return _Scoring2023(problem, {}).secret_max()
    return _legacy_max(problem, problem.root_group)


def case_max_scores(problem: Problem) -> dict[str, float]:
    """2023-07: the maximum score of every scored test case (for `score_multiplier.txt`)."""
    if not problem.is_scoring or problem.grading_style != V2023_07:
        return {}
    scorer = _Scoring2023(problem, {})
    scorer.secret_max()
    return {name: scorer.maxima[name] for name in scorer.case_names}


# pass-fail ------------------------------------------------------------------------------------------

def _pass_fail(problem: Problem, by_name: dict[str, ResultLike]) -> Grade:
    if not by_name:
        return Grade(Verdict.JUDGE_ERROR, None, reason="no test was judged")
    for test in problem.test_cases():
        result = by_name.get(test.name)
        if result is not None and result.verdict != Verdict.ACCEPTED:
            return Grade(result.verdict, None)
    return Grade(Verdict.ACCEPTED, None)


# legacy default grader ----------------------------------------------------------------------------

def _legacy(problem: Problem, by_name: dict[str, ResultLike]) -> Grade:
    groups: dict[str, GroupGrade] = {}
    root = _legacy_group(problem, problem.root_group, by_name, groups)
    if root is None:
        return Grade(Verdict.JUDGE_ERROR, 0.0, groups, reason="no test was judged")
    score = root.score if root.verdict == Verdict.ACCEPTED else 0.0
    return Grade(root.verdict, score, groups)


def _legacy_flags(group: TestGroup, is_root: bool) -> tuple[str, str, bool, bool]:
    verdict_mode, score_mode, any_accepted, ignore_sample = "worst_error", "sum", False, False
    for flag in group.settings.grader_flags:  # conflicting modes: the last one wins
        if flag in ("worst_error", "first_error", "always_accept"):
            verdict_mode = flag
        elif flag in _SCORE_MODES:
            score_mode = flag
        elif flag == "accept_if_any_accepted":
            any_accepted = True
        elif flag == "ignore_sample" and is_root:
            ignore_sample = True
    return verdict_mode, score_mode, any_accepted, ignore_sample


def _counted(group: TestGroup, ignore_sample: bool) -> list[TestCase | TestGroup]:
    """The items a legacy grader sees: all, minus data/sample under ignore_sample (it cannot even break)."""
    if not ignore_sample:
        return group.items
    return [item for item in group.items if not (isinstance(item, TestGroup) and item.name == "sample")]


def _legacy_group(problem: Problem, group: TestGroup, by_name: dict[str, ResultLike],
                  out: dict[str, GroupGrade]) -> GroupGrade | None:
    """The grade of `group`, or None when nothing in it was judged."""
    settings = group.settings
    verdict_mode, score_mode, any_accepted, ignore_sample = _legacy_flags(group, group.name == "")
    children: list[tuple[TestCase | TestGroup, Verdict, float]] = []
    for item in _counted(group, ignore_sample):
        if isinstance(item, TestCase):
            result = by_name.get(item.name)
            if result is None:
                continue
            verdict = result.verdict
            if result.score is not None and verdict == Verdict.ACCEPTED:
                score = float(result.score)
            else:
                score = settings.accept_score if verdict == Verdict.ACCEPTED else settings.reject_score
        else:
            sub = _legacy_group(problem, item, by_name, out)
            if sub is None:
                continue
            verdict, score = sub.verdict, sub.score or 0.0
        children.append((item, verdict, score))
        if verdict != Verdict.ACCEPTED and settings.on_reject == "break":
            break
    if not children:
        return None
    verdicts = [v for _, v, _ in children]
    scores = [s for _, _, s in children]
    if Verdict.JUDGE_ERROR in verdicts:
        grade = GroupGrade(Verdict.JUDGE_ERROR, 0.0)
    else:
        failures = [v for v in verdicts if v != Verdict.ACCEPTED]
        if not failures or verdict_mode == "always_accept" or (any_accepted and Verdict.ACCEPTED in verdicts):
            verdict = Verdict.ACCEPTED
        elif verdict_mode == "first_error":
            verdict = failures[0]
        else:
            verdict = min(failures, key=_WORST_FIRST.index)
        grade = GroupGrade(verdict, float(_SCORE_MODES[score_mode](scores)))
    out[group.name] = grade
    return grade


def _legacy_max(problem: Problem, group: TestGroup) -> float:
    settings = group.settings
    _, score_mode, _, ignore_sample = _legacy_flags(group, group.name == "")
    high = settings.score_range[1]
    if problem.custom_score and math.isfinite(high):
        return high  # the validator decides each test's score; the range bounds the group
    scores = []
    for item in _counted(group, ignore_sample):
        scores.append(settings.accept_score if isinstance(item, TestCase) else _legacy_max(problem, item))
    return min(float(_SCORE_MODES[score_mode](scores)), high)


# 2023-07 scoring ------------------------------------------------------------------------------------

class _GradingError(Exception):
    pass


class _Scoring2023:
    def __init__(self, problem: Problem, by_name: dict[str, ResultLike]):
        self.problem = problem
        self.by_name = by_name
        self.maxima: dict[str, float] = {}
        self.case_names: set[str] = set()
        self.groups: dict[str, GroupGrade] = {}

    def secret_max(self) -> float:
        secret = self.problem.root_group.find("secret")
        top = secret.settings.max_score if secret.settings.max_score is not None else 100.0
        self._infer(secret, top)
        return top

    def _infer(self, group: TestGroup, maximum: float) -> None:
        """Fill self.maxima for `group` and everything below it."""
        self.maxima[group.name] = maximum
        aggregation = self._aggregation(group)
        if aggregation == "pass-fail":
            for sub in group.subgroups:
                if self._aggregation(sub) != "pass-fail":
                    raise _GradingError(f"group {sub.name}: a pass-fail group's subgroups must be pass-fail")
                self._infer(sub, sub.settings.max_score if sub.settings.max_score is not None else 0.0)
            return
        explicit = [s for s in group.subgroups if s.settings.max_score is not None]
        unspecified = len(group.subgroups) - len(explicit) + len(group.cases)
        if math.isinf(maximum):
            default = math.inf
        elif aggregation == "min":
            default = maximum
        else:
            taken = sum(s.settings.max_score for s in explicit)
            if taken > maximum + _EPSILON:
                raise _GradingError(f"group {group.name}: subgroup scores add up to {taken:g} > {maximum:g}")
            default = (maximum - taken) / unspecified if unspecified else 0.0
        for item in group.items:
            if isinstance(item, TestCase):
                self.maxima[item.name] = default
                self.case_names.add(item.name)
            else:
                own = item.settings.max_score
                self._infer(item, own if own is not None else default)

    @staticmethod
    def _aggregation(group: TestGroup) -> str:
        if group.settings.aggregation:
            return group.settings.aggregation
        return "sum" if group.name == "secret" else "pass-fail"

    def grade(self) -> Grade:
        tests = self.problem.test_cases()
        judged = [self.by_name[t.name] for t in tests if t.name in self.by_name]
        if not judged:
            return Grade(Verdict.JUDGE_ERROR, 0.0, reason="no test was judged")
        if any(r.verdict == Verdict.JUDGE_ERROR for r in judged):
            return Grade(Verdict.JUDGE_ERROR, 0.0, self.groups)
        try:
            self.secret_max()
            score = self._score(self.problem.root_group.find("secret"))
        except _GradingError as error:
            return Grade(Verdict.JUDGE_ERROR, 0.0, self.groups, reason=str(error))
        all_passed = len(judged) == len(tests) and all(r.verdict == Verdict.ACCEPTED for r in judged)
        if all_passed or score > 0:
            return Grade(Verdict.ACCEPTED, score, self.groups)
        first = next((r.verdict for r in judged if r.verdict != Verdict.ACCEPTED), Verdict.WRONG_ANSWER)
        return Grade(first, 0.0, self.groups)

    def _passed(self, group: TestGroup) -> bool:
        cases = list(group.all_cases())
        return bool(cases) and all(c.name in self.by_name and self.by_name[c.name].verdict == Verdict.ACCEPTED
                                   for c in cases)

    def _score(self, group: TestGroup) -> float:
        maximum = self.maxima[group.name]
        aggregation = self._aggregation(group)
        if aggregation == "pass-fail":
            passed = self._passed(group)
            score = maximum if passed else 0.0
            self.groups[group.name] = GroupGrade(Verdict.ACCEPTED if passed else self._first_failure(group), score)
            return score
        scores = [self._case_score(item) if isinstance(item, TestCase) else self._score(item) for item in group.items]
        if not scores:
            score = 0.0
        else:
            score = float(sum(scores)) if aggregation == "sum" else float(min(scores))
        if score > maximum + _EPSILON * max(1.0, abs(maximum)):
            raise _GradingError(f"group {group.name}: score {score:g} exceeds its maximum {maximum:g}")
        verdict = Verdict.ACCEPTED if self._passed(group) else self._first_failure(group)
        self.groups[group.name] = GroupGrade(verdict, score)
        return score

    def _case_score(self, test: TestCase) -> float:
        result = self.by_name.get(test.name)
        if result is None or result.verdict != Verdict.ACCEPTED:
            return 0.0
        maximum = self.maxima[test.name]
        if result.score is not None:
            if result.score < 0 or math.isnan(result.score):
                raise _GradingError(f"test {test.name}: negative score {result.score}")
            return float(result.score)
        if math.isinf(maximum):
            raise _GradingError(f"test {test.name}: unbounded test accepted without a score.txt")
        return maximum

    def _first_failure(self, group: TestGroup) -> Verdict:
        for case in group.all_cases():
            result = self.by_name.get(case.name)
            if result is not None and result.verdict != Verdict.ACCEPTED:
                return result.verdict
        return Verdict.WRONG_ANSWER  # not judged counts as not passed


# helpers ---------------------------------------------------------------------------------------------

def _by_name(results: Iterable[ResultLike] | Mapping[str, ResultLike]) -> dict[str, ResultLike]:
    if isinstance(results, Mapping):
        return dict(results)
    return {r.name: r for r in results}


def _path_to(root: TestGroup, test: TestCase) -> list[TestGroup]:
    """The groups from data/ down to the one that holds `test`."""
    path = [root]
    parts = test.group.split("/") if test.group else []
    node = root
    for depth in range(len(parts)):
        name = "/".join(parts[:depth + 1])
        node = next(g for g in node.subgroups if g.name == name)
        path.append(node)
    return path
