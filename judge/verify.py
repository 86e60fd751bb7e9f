"""`judge verify`: every submission a problem package ships must get the verdict it claims.

What a submission claims is read as DOMjudge and problemtools read it, so that their packages verify
here as they do there:
- its folder: problemtools' five (accepted, partially_accepted, wrong_answer, run_time_error,
  time_limit_exceeded), DOMjudge's (compiler_error, no_output, output_limit) and a few of ours;
- a DOMjudge tag in the source, `@EXPECTED_RESULTS@: ` or `@EXPECTED_SCORE@: ` (case-insensitive, the
  rest of the line, a comma list of DOMjudge's names or their aliases). A tag that includes the
  folder's verdict narrows it to the folder's; otherwise the tag wins. A non-numeric
  `@EXPECTED_SCORE@` is a results list, a numeric one the expected score.
A submission whose claim cannot be read (a folder neither tool judges and no tag, CHECK-MANUALLY, a
tag twice, an unknown name), a multi-file submission and Python 2 are reported as not verified, each
with its reason; they never stop the others. Kattis and DOMjudge have no memory-limit verdict (a
program over the limit is a run-time error there), so RUNTIME_ERROR is met by MEMORY_LIMIT_EXCEEDED.
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
    "no_output": {Verdict.WRONG_ANSWER},
    "output_limit": {Verdict.OUTPUT_LIMIT_EXCEEDED},
    "output_limit_exceeded": {Verdict.OUTPUT_LIMIT_EXCEEDED},
    "compiler_error": {Verdict.COMPILATION_ERROR},
    "compile_error": {Verdict.COMPILATION_ERROR},
    "judge_error": {Verdict.JUDGE_ERROR},
}

# DOMjudge's result names and the aliases it maps onto them (PROBLEM_RESULT_REMAP), plus ours.
DOMJUDGE_VERDICTS = {
    "CORRECT": Verdict.ACCEPTED, "ACCEPTED": Verdict.ACCEPTED,
    "WRONG-ANSWER": Verdict.WRONG_ANSWER, "WRONG_ANSWER": Verdict.WRONG_ANSWER,
    "NO-OUTPUT": Verdict.WRONG_ANSWER, "NO_OUTPUT": Verdict.WRONG_ANSWER,
    "TIMELIMIT": Verdict.TIME_LIMIT_EXCEEDED, "TIME_LIMIT_EXCEEDED": Verdict.TIME_LIMIT_EXCEEDED,
    "RUN-ERROR": Verdict.RUNTIME_ERROR, "RUN_TIME_ERROR": Verdict.RUNTIME_ERROR,
    "RUNTIME_ERROR": Verdict.RUNTIME_ERROR,
    "COMPILER-ERROR": Verdict.COMPILATION_ERROR, "COMPILER_ERROR": Verdict.COMPILATION_ERROR,
    "COMPILATION_ERROR": Verdict.COMPILATION_ERROR,
    "OUTPUT-LIMIT": Verdict.OUTPUT_LIMIT_EXCEEDED, "OUTPUT_LIMIT": Verdict.OUTPUT_LIMIT_EXCEEDED,
    "OUTPUT_LIMIT_EXCEEDED": Verdict.OUTPUT_LIMIT_EXCEEDED,
    "MEMORY-LIMIT": Verdict.MEMORY_LIMIT_EXCEEDED, "MEMORY_LIMIT_EXCEEDED": Verdict.MEMORY_LIMIT_EXCEEDED,
}
MANUAL = "CHECK-MANUALLY"  # DOMjudge: no judging result can equal it; a human decides

# DOMjudge matches the marker with its colon and space, case-insensitively, and takes the rest of the line.
_TAG = re.compile(r"@EXPECTED_(RESULTS|SCORE)@: ([^\r\n]*)", re.IGNORECASE)
_COMMENT_END = re.compile(r"\s*(\*/|-->|\}|\"\"\"|\'\'\')\s*$")
_PYTHON2 = re.compile(rb"\A#![^\n]*\bpython2")

# Without a time limit in the package, derive one as problemtools does.
TIME_MULTIPLIER, DERIVING_TIME_LIMIT_S = 2.0, 10.0


class Unverifiable(ValueError):
    """What this one submission claims cannot be read or checked here; the reason says why."""


@dataclass
class Expectation:
    verdicts: set[Verdict]
    score: float | None = None
    source: str = "folder"  # where it came from: the folder or a DOMjudge tag


@dataclass
class SubmissionCheck:
    path: Path
    expected: Expectation | None  # None: not verified (see `message`)
    result: SubmissionResult | None
    matched: bool
    message: str = ""

    @property
    def verified(self) -> bool:
        return self.expected is not None and self.result is not None

    def to_json(self, root: Path) -> dict:
        result = self.result
        return {
            "submission": str(self.path.relative_to(root)),
            "verified": self.verified,
            "expected": sorted(v.value for v in self.expected.verdicts) if self.expected else None,
            "expected_score": self.expected.score if self.expected else None,
            "verdict": result.verdict.value if result else None,
            "score": result.score if result else None,
            "time_ms": result.time_ms if result else None,
            "memory_kb": result.memory_kb if result else None,
            "matched": self.matched,
            "message": self.message,
        }


@dataclass
class VerifyReport:
    problem: str
    time_limit_s: float
    time_limit_source: str
    checks: list[SubmissionCheck] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def verified(self) -> list[SubmissionCheck]:
        return [check for check in self.checks if check.verified]

    @property
    def ok(self) -> bool:
        return bool(self.verified) and all(check.matched for check in self.verified)


def _names(value: str, path: Path) -> set[Verdict]:
    names = [name.strip().upper() for name in value.split(",") if name.strip()]
    if not names:
        raise Unverifiable(f"{path}: an empty expected-results tag")
    if MANUAL in names:
        raise Unverifiable(f"{path}: expects {MANUAL} (a human decides; DOMjudge never verifies it)")
    unknown = [name for name in names if name not in DOMJUDGE_VERDICTS]
    if unknown:
        raise Unverifiable(f"{path}: unknown result name(s) in its tag: {', '.join(unknown)}")
    return {DOMJUDGE_VERDICTS[name] for name in names}


def _tags(text: str, path: Path) -> tuple[set[Verdict] | None, float | None]:
    """(results, score) from the source's DOMjudge tags, refused where DOMjudge refuses them."""
    results: list[str] = []
    scores: list[float] = []
    for kind, value in _TAG.findall(text):
        value = _COMMENT_END.sub("", value).strip()
        if kind.upper() == "SCORE":
            try:
                scores.append(float(value))
                continue
            except ValueError:
                pass  # DOMjudge: a non-numeric @EXPECTED_SCORE@ is a list of results
        results.append(value)
    if len(results) > 1 or len(scores) > 1:
        raise Unverifiable(f"{path}: more than one expected-results or expected-score tag (DOMjudge refuses it)")
    return (_names(results[0], path) if results else None), (scores[0] if scores else None)


def expectation_for(path: Path, submissions_root: Path) -> Expectation:
    folder = path.relative_to(submissions_root).parts[0]
    tagged, score = _tags(path.read_text(errors="replace"), path)
    from_folder = FOLDER_VERDICTS.get(folder)
    if tagged is not None:
        if from_folder and from_folder & tagged:
            return Expectation(set(from_folder), score, "folder, within its tag")  # DOMjudge narrows it
        return Expectation(tagged, score, "tag")
    if from_folder is None:
        raise Unverifiable(f"{path}: folder {folder!r} names no verdict (neither tool judges it) and the "
                           "source has no @EXPECTED_RESULTS@ tag")
    return Expectation(set(from_folder), score)


@dataclass
class _Entry:
    path: Path
    skip: str = ""  # why it is not judged


def list_submissions(problem: Problem) -> list[_Entry]:
    """Each `submissions/<folder>/<entry>`: a source file in a language this judge runs, or a reason."""
    root = problem.root / "submissions"
    if not root.is_dir():
        return []
    found: list[_Entry] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
            if path.is_dir():
                found.append(_Entry(path, "a multi-file submission (this judge runs one source file)"))
                continue
            try:
                language_for_path(path)
            except UnknownLanguage:
                continue  # READMEs, helper files and languages this judge does not run
            if _PYTHON2.match(path.read_bytes()[:200]):  # a python2 shebang, as problemtools tells them apart
                found.append(_Entry(path, "Python 2 (this judge runs Python 3)"))
                continue
            if not problem.allows(language_for_path(path)):
                found.append(_Entry(path, f"the problem does not take {language_for_path(path).name} (problem.yaml languages)"))
                continue
            found.append(_Entry(path))
    return found


def _matches(problem: Problem, expected: Expectation, result: SubmissionResult, folder: str) -> tuple[bool, str]:
    """(matched, message); a message on a match is a warning, as problemtools gives it."""
    if result.verdict not in expected.verdicts:
        if Verdict.RUNTIME_ERROR in expected.verdicts and result.verdict == Verdict.MEMORY_LIMIT_EXCEEDED:
            return True, "memory limit, a run-time error in Kattis and DOMjudge"
        wanted = " or ".join(sorted(v.value for v in expected.verdicts))
        return False, f"expected {wanted}, got {result.verdict.value}" + (f" ({result.reason})" if result.reason else "")
    if problem.is_scoring and result.verdict == Verdict.ACCEPTED:
        best = problem.max_score()
        if expected.score is not None and not math.isclose(result.score or 0.0, expected.score, abs_tol=1e-6):
            return False, f"expected score {expected.score:g}, got {result.score:g}"
        if expected.score is None and folder == "accepted" and not math.isclose(result.score or 0.0, best):
            return True, f"warning: accepted submission scored {result.score:g} of {best:g}"
        if expected.score is None and folder == "partially_accepted" and math.isclose(result.score or 0.0, best):
            return True, f"warning: partially accepted submission got the full score {best:g}"
    return True, ""


def verify_problem(problem: Problem, runner: Runner, progress: Callable[[str], None] | None = None,
                   time_limit_s: float | None = None) -> VerifyReport:
    """Long because it keeps problemtools' order: time the accepted ones when the package gives no
    limit, then judge everything, each submission on its own line whatever the others do."""
    root = problem.root / "submissions"
    expectations: dict[Path, Expectation] = {}
    skipped: dict[Path, str] = {}
    entries = list_submissions(problem)
    for entry in entries:
        if entry.skip:
            skipped[entry.path] = entry.skip
            continue
        try:
            expectations[entry.path] = expectation_for(entry.path, root)
        except Unverifiable as error:
            skipped[entry.path] = str(error).removeprefix(f"{entry.path}: ")
    limit, source = time_limit_s, "command line"
    results: dict[Path, SubmissionResult] = {}
    if limit is None and problem.limits.time_limit_s:
        limit, source = problem.limits.time_limit_s, "package"
    if limit is None:
        # problemtools: the slowest accepted submission times the multiplier, rounded up to the
        # time resolution (a second unless the package says otherwise).
        accepted = [p for p, e in expectations.items() if e.verdicts == {Verdict.ACCEPTED}]
        for path in accepted:
            results[path] = _judge(problem, path, runner, DERIVING_TIME_LIMIT_S, progress)
        slowest = max((r.time_ms for r in results.values()), default=0) / 1000
        multiplier = problem.limits.time_multiplier or TIME_MULTIPLIER
        resolution = problem.limits.time_resolution_s or 1.0  # limits.time_resolution (2023-07)
        steps = max(1, math.ceil(round(slowest * multiplier / resolution, 9)))
        limit, source = round(steps * resolution, 9), "derived from accepted submissions"
        results = {p: r for p, r in results.items() if r.time_ms / 1000 <= limit}  # re-judge the rest
    report = VerifyReport(problem.name, limit, source, warnings=list(problem.warnings))
    for index, entry in enumerate(entries, 1):
        path = entry.path
        if path in skipped:
            report.checks.append(SubmissionCheck(path, None, None, False, skipped[path]))
            continue
        if progress:
            progress(f"[{index}/{len(entries)}] {path.relative_to(root)}")
        result = results.get(path) or _judge(problem, path, runner, limit, None)
        folder = path.relative_to(root).parts[0]
        matched, message = _matches(problem, expectations[path], result, folder)
        if not matched and result.verdict in _TIME_SENSITIVE:
            # problemtools: what misses at the limit but meets the expectation at the limit times
            # time_limit_to_tle is "OK with extra time", and the limit is sensitive for it.
            high = round(limit * (problem.limits.safety_margin or 1.0), 9)
            again = _judge(problem, path, runner, high, None) if high > limit else result
            if _matches(problem, expectations[path], again, folder)[0]:
                matched, message = True, (f"warning: OK with extra time ({again.verdict.value} at {high:g} s, "
                                          f"{result.verdict.value} at {limit:g} s): the limit is sensitive to it")
        report.checks.append(SubmissionCheck(path, expectations[path], result, matched, message))
    return report


# Verdicts a longer time limit can change (problemtools re-judges at time_limit x time_limit_to_tle).
_TIME_SENSITIVE = frozenset({Verdict.TIME_LIMIT_EXCEEDED})


def _judge(problem: Problem, path: Path, runner: Runner, limit: float,
           progress: Callable[[str], None] | None) -> SubmissionResult:
    if progress:
        progress(f"timing {path.name}")
    return judge_submission(problem, language_for_path(path), path.read_bytes(), runner,
                            JudgeOptions(time_limit_s=limit))
