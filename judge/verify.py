"""`judge verify`: every submission a problem package ships must get the verdict it claims.

Expected verdicts come from the submission's folder (problemtools' names, plus a few of ours) or from
a DOMjudge `@EXPECTED_RESULTS@:` line in the source, which overrides the folder. Scoring problems may
also state `@EXPECTED_SCORE@: <number>`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from judge.engine import JudgeOptions, judge_submission
from judge.languages import UnknownLanguage, language_for_path
from judge.problem import Problem
from judge.result import SubmissionResult
from judge.runner import Runner
from judge.verdict import Verdict

FOLDER_VERDICTS: dict[str, set[Verdict]] = {
    "accepted": {Verdict.ACCEPTED},
    "partially_accepted": {Verdict.ACCEPTED},
    "wrong_answer": {Verdict.WRONG_ANSWER},
    "time_limit_exceeded": {Verdict.TIME_LIMIT_EXCEEDED},
    "run_time_error": {Verdict.RUNTIME_ERROR},
    "runtime_error": {Verdict.RUNTIME_ERROR},
    "memory_limit_exceeded": {Verdict.MEMORY_LIMIT_EXCEEDED},
    "output_limit": {Verdict.OUTPUT_LIMIT_EXCEEDED},
    "output_limit_exceeded": {Verdict.OUTPUT_LIMIT_EXCEEDED},
    "compiler_error": {Verdict.COMPILATION_ERROR},
    "compile_error": {Verdict.COMPILATION_ERROR},
    "judge_error": {Verdict.JUDGE_ERROR},
}

# DOMjudge's result names, as written in @EXPECTED_RESULTS@ lines.
DOMJUDGE_VERDICTS = {
    "CORRECT": Verdict.ACCEPTED, "ACCEPTED": Verdict.ACCEPTED,
    "WRONG-ANSWER": Verdict.WRONG_ANSWER, "WRONG_ANSWER": Verdict.WRONG_ANSWER, "NO-OUTPUT": Verdict.WRONG_ANSWER,
    "TIMELIMIT": Verdict.TIME_LIMIT_EXCEEDED, "TIME_LIMIT_EXCEEDED": Verdict.TIME_LIMIT_EXCEEDED,
    "RUN-ERROR": Verdict.RUNTIME_ERROR, "RUN_TIME_ERROR": Verdict.RUNTIME_ERROR,
    "RUNTIME_ERROR": Verdict.RUNTIME_ERROR,
    "COMPILER-ERROR": Verdict.COMPILATION_ERROR, "COMPILATION_ERROR": Verdict.COMPILATION_ERROR,
    "OUTPUT-LIMIT": Verdict.OUTPUT_LIMIT_EXCEEDED, "OUTPUT_LIMIT_EXCEEDED": Verdict.OUTPUT_LIMIT_EXCEEDED,
    "MEMORY-LIMIT": Verdict.MEMORY_LIMIT_EXCEEDED, "MEMORY_LIMIT_EXCEEDED": Verdict.MEMORY_LIMIT_EXCEEDED,
}

_EXPECTED_RESULTS = re.compile(r"@EXPECTED_RESULTS@:\s*([A-Za-z_,\- ]+)")
_EXPECTED_SCORE = re.compile(r"@EXPECTED_SCORE@:\s*([0-9.eE+-]+)")

# Without a time limit in the package, derive one as problemtools does.
TIME_MULTIPLIER, DERIVING_TIME_LIMIT_S = 2.0, 10.0


class ExpectationError(ValueError):
    pass


@dataclass
class Expectation:
    verdicts: set[Verdict]
    score: float | None = None
    source: str = "folder"  # where it came from: the folder or an @EXPECTED_RESULTS@ line


@dataclass
class SubmissionCheck:
    path: Path
    expected: Expectation
    result: SubmissionResult
    matched: bool
    message: str = ""

    def to_json(self, root: Path) -> dict:
        return {
            "submission": str(self.path.relative_to(root)),
            "expected": sorted(v.value for v in self.expected.verdicts),
            "expected_score": self.expected.score,
            "verdict": self.result.verdict.value,
            "score": self.result.score,
            "time_ms": self.result.time_ms,
            "memory_kb": self.result.memory_kb,
            "matched": self.matched,
            "message": self.message,
        }


@dataclass
class VerifyReport:
    problem: str
    time_limit_s: float
    time_limit_source: str
    checks: list[SubmissionCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.matched for check in self.checks)


def expectation_for(path: Path, submissions_root: Path) -> Expectation:
    text = path.read_text(errors="replace")
    score_match = _EXPECTED_SCORE.search(text)
    score = float(score_match.group(1)) if score_match else None
    results = _EXPECTED_RESULTS.search(text)
    if results:
        names = [name.strip().upper() for name in results.group(1).split(",") if name.strip()]
        unknown = [name for name in names if name not in DOMJUDGE_VERDICTS]
        if unknown:
            raise ExpectationError(f"{path}: unknown result(s) in @EXPECTED_RESULTS@: {', '.join(unknown)}")
        return Expectation({DOMJUDGE_VERDICTS[name] for name in names}, score, "@EXPECTED_RESULTS@")
    folder = path.relative_to(submissions_root).parts[0]
    if folder not in FOLDER_VERDICTS:
        raise ExpectationError(
            f"{path}: folder {folder!r} names no verdict and the source has no @EXPECTED_RESULTS@ line")
    return Expectation(set(FOLDER_VERDICTS[folder]), score)


def list_submissions(problem: Problem) -> list[Path]:
    root = problem.root / "submissions"
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            try:
                language_for_path(path)
            except UnknownLanguage:
                continue  # READMEs and helper files
            found.append(path)
    return found


def _matches(problem: Problem, expected: Expectation, result: SubmissionResult, folder: str) -> tuple[bool, str]:
    if result.verdict not in expected.verdicts:
        wanted = " or ".join(sorted(v.value for v in expected.verdicts))
        return False, f"expected {wanted}, got {result.verdict.value}" + (f" ({result.reason})" if result.reason else "")
    if problem.is_scoring and result.verdict == Verdict.ACCEPTED:
        best = problem.max_score()
        if expected.score is not None and not math.isclose(result.score or 0.0, expected.score, abs_tol=1e-6):
            return False, f"expected score {expected.score:g}, got {result.score:g}"
        if expected.score is None and folder == "accepted" and not math.isclose(result.score or 0.0, best):
            return False, f"accepted submission scored {result.score:g} of {best:g}"
        if expected.score is None and folder == "partially_accepted" and math.isclose(result.score or 0.0, best):
            return False, f"partially accepted submission got the full score {best:g}"
    return True, ""


def verify_problem(problem: Problem, runner: Runner, progress: Callable[[str], None] | None = None,
                   time_limit_s: float | None = None) -> VerifyReport:
    submissions = list_submissions(problem)
    root = problem.root / "submissions"
    expectations = {path: expectation_for(path, root) for path in submissions}
    limit, source = time_limit_s, "command line"
    results: dict[Path, SubmissionResult] = {}
    if limit is None and problem.limits.time_limit_s:
        limit, source = problem.limits.time_limit_s, "package"
    if limit is None:
        # problemtools: the slowest accepted submission times the multiplier, rounded up to a second.
        accepted = [p for p in submissions if expectations[p].verdicts == {Verdict.ACCEPTED}]
        for path in accepted:
            results[path] = _judge(problem, path, runner, DERIVING_TIME_LIMIT_S, progress)
        slowest = max((r.time_ms for r in results.values()), default=0) / 1000
        multiplier = problem.limits.time_multiplier or TIME_MULTIPLIER
        limit, source = float(max(1, math.ceil(slowest * multiplier))), "derived from accepted submissions"
        results = {p: r for p, r in results.items() if r.time_ms / 1000 <= limit}  # re-judge the rest
    report = VerifyReport(problem.name, limit, source)
    for index, path in enumerate(submissions, 1):
        label = f"[{index}/{len(submissions)}] {path.relative_to(root)}"
        if progress:
            progress(label)
        result = results.get(path) or _judge(problem, path, runner, limit, None)
        matched, message = _matches(problem, expectations[path], result, path.relative_to(root).parts[0])
        report.checks.append(SubmissionCheck(path, expectations[path], result, matched, message))
    return report


def _judge(problem: Problem, path: Path, runner: Runner, limit: float,
           progress: Callable[[str], None] | None) -> SubmissionResult:
    if progress:
        progress(f"timing {path.name}")
    return judge_submission(problem, language_for_path(path), path.read_bytes(), runner,
                            JudgeOptions(time_limit_s=limit))
