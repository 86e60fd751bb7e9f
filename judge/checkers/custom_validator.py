"""Custom output validators: build once (cached by content hash), run per test.

A validator is the problem setter's program (trusted): it runs as a plain subprocess, in a fresh
temporary working directory, never in the submission sandbox. Invocation, as the format says:

    validator input answer feedback_dir/ [flags] < team_output

Exit 42 accepts, 43 rejects, anything else (a crash, a signal, our time limit) is JUDGE_ERROR.
Feedback: judgemessage.txt and teammessage.txt (first 4 KiB each), score.txt for scoring
problems (and 2023-07's score_multiplier.txt, scaled by the test's maximum score).

Programs, as the format's "Programs" section lists them:
* a directory with `build` and/or `run` scripts: `build` runs in a copy, then `run` is the program;
* C or C++ sources: compiled together by the language table's own compile command for `cpp` (`c`
  when all are C), with the package's own headers first and our `validate.h`
  (judge/checkers/include) as fallback;
* Python: a single `*.py`, or a directory with `__main__.py`, run with the `python` tool;
* any other single executable file.
Tools come from `judge.toolchain` (a layer's first), like a submission's. Built programs live in
`<cache>/validators/<sha256>/` (`judge.settings`: $JUDGE_CACHE_DIR, default ~/.cache/judge).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from judge import settings
from judge.checkers.base import FEEDBACK_LIMIT, CheckResult, truncate
from judge.checkers.portable import PortableValidator
from judge.languages import LANGUAGES, Language
from judge.problem.model import Problem, TestCase
from judge.toolchain import ToolNotFound, expand, find_tool
from judge.verdict import Verdict

EXIT_ACCEPT, EXIT_REJECT = 42, 43
INCLUDE_DIR = Path(__file__).parent / "include"
_CACHE_FORMAT = "judge-validator-cache-v2"
# Languages a validator may be written in and built with, most specific first (C++ sources may
# include C files; a C-only validator is compiled as C).
_COMPILED = ("cpp", "c")


class ValidatorBuildError(RuntimeError):
    """The validator could not be built: a problem package defect (JUDGE_ERROR for every test)."""


def cache_root() -> Path:
    return settings.current().cache_dir


def _suffixes(language: str) -> set[str]:
    return set(LANGUAGES[language].extensions)


def _compiler_of(language: Language) -> str:
    """The language's compiler as its compile command names it (`<g++>`), resolved."""
    tool = next(part[1:-1] for part in language.compile if part.startswith("<"))
    found = find_tool(tool)
    return str(found) if found else f"(no {tool})"


def _files(program: Path) -> list[Path]:
    if program.is_file():
        return [program]
    return sorted(p for p in program.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(program).parts))


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.kill()
    except ProcessLookupError:
        pass


class CustomValidator:
    """One problem's custom output validator; `check` for normal problems, `command` for interactive."""

    def __init__(self, problem: Problem, program: Path | None = None, cache_dir: Path | None = None):
        program = program or problem.output_validator
        if program is None:
            raise ValueError(f"{problem.name}: no custom output validator")
        self.problem = problem
        self.program = Path(program)
        self.cache_dir = Path(cache_dir) if cache_dir else cache_root()
        self._command: list[str] | None = None
        self._entry: Path | None = None  # the cache entry the command runs from
        self._portable: PortableValidator | None = None  # read once: every interactive test sends it
        self._build_error: str | None = None
        self._case_max: dict[str, float] | None = None

    # building ---------------------------------------------------------------------------------------

    def command(self) -> list[str]:
        """The argv prefix that runs the validator, building it on first use (then cached on disk)."""
        if self._command is not None:
            return self._command
        if self._build_error is not None:
            raise ValidatorBuildError(self._build_error)
        try:
            self._command = self._build()
        except ValidatorBuildError as error:
            self._build_error = str(error)
            raise
        return self._command

    def _kind(self, files: list[Path]) -> str:
        names = {f.name for f in files}
        if self.program.is_dir() and ({"build", "run"} & {f.relative_to(self.program).as_posix() for f in files}):
            return "buildrun"
        suffixes = {f.suffix for f in files}
        for language in _COMPILED:
            if suffixes & _suffixes(language):
                return language
        if suffixes & _suffixes("python"):
            return "python"
        if suffixes & _suffixes("java"):
            raise ValidatorBuildError(f"{self.program}: Java output validators are not supported")
        if len(files) == 1 and os.access(files[0], os.X_OK):
            return "executable"
        raise ValidatorBuildError(f"{self.program}: no validator program found (files: {sorted(names)})")

    def _key(self, kind: str, files: list[Path]) -> str:
        digest = hashlib.sha256(f"{_CACHE_FORMAT}\0{kind}\0".encode())
        base = self.program if self.program.is_dir() else self.program.parent
        for path in files:
            digest.update(path.relative_to(base).as_posix().encode() + b"\0")
            digest.update(b"x" if os.access(path, os.X_OK) else b"-")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        if kind in _COMPILED:
            language = LANGUAGES[kind]
            digest.update((INCLUDE_DIR / "validate.h").read_bytes())
            digest.update(json.dumps([_compiler_of(language), *language.compile]).encode())
        if kind == "python":
            digest.update(str(find_tool("python")).encode())
        return digest.hexdigest()

    def _build(self) -> list[str]:
        if not self.program.exists():
            raise ValidatorBuildError(f"{self.program}: missing")
        files = _files(self.program)
        if not files:
            raise ValidatorBuildError(f"{self.program}: empty")
        kind = self._kind(files)
        target = self.cache_dir / "validators" / self._key(kind, files)
        recorded = target / "command.json"
        if recorded.is_file():
            self._entry = target
            return [str(target / part[2:]) if part.startswith("@/") else part
                    for part in json.loads(recorded.read_text())]
        (self.cache_dir / "validators").mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".build-", dir=self.cache_dir / "validators"))
        try:
            argv = self._build_into(kind, staging)
            (staging / "command.json").write_text(json.dumps(argv))
            try:
                os.rename(staging, target)  # atomic: a concurrent builder either wins or loses whole
            except OSError:
                if not recorded.is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return self._build()

    def _build_into(self, kind: str, staging: Path) -> list[str]:
        """Build in `staging`; return the argv, "@/" marking paths inside the cache entry."""
        source = staging / "program"
        if self.program.is_dir():
            shutil.copytree(self.program, source, symlinks=False)
        else:
            source.mkdir()
            shutil.copy2(self.program, source / self.program.name)
        timeout = self.problem.limits.compilation_time_s
        if kind == "buildrun":
            build = source / "build"
            if build.exists():
                build.chmod(build.stat().st_mode | stat.S_IXUSR)
                self._run_build(["./build"], source, timeout)
            run = source / "run"
            if not run.is_file():
                raise ValidatorBuildError(f"{self.program}: no `run` program after `build`")
            run.chmod(run.stat().st_mode | stat.S_IXUSR)
            return ["@/program/run"]
        if kind in _COMPILED:
            wanted = set().union(*(_suffixes(k) for k in _COMPILED[_COMPILED.index(kind):]))
            sources = sorted(str(p.relative_to(source)) for p in source.rglob("*") if p.suffix in wanted)
            try:
                argv = expand(LANGUAGES[kind].compile, source=sources, binary="../validator")
            except ToolNotFound as error:
                raise ValidatorBuildError(f"{self.program}: {error}") from None
            # The package's headers first, then ours; -I may stand anywhere on a gcc command line.
            argv[1:1] = ["-I.", f"-I{INCLUDE_DIR}"]
            self._run_build(argv, source, timeout)
            return ["@/validator"]
        if kind == "python":
            scripts = sorted(source.rglob("*.py"))
            if (source / "__main__.py").exists():
                entry = source
            elif len(scripts) == 1:
                entry = scripts[0]
            else:
                raise ValidatorBuildError(
                    f"{self.program}: several Python files and no __main__.py; cannot tell the entry point")
            return [str(find_tool("python")), f"@/{entry.relative_to(staging).as_posix()}"]
        executable = next(source.iterdir())
        return [f"@/program/{executable.name}"]

    def portable(self) -> PortableValidator:
        """The built validator as files and an argv, to run it elsewhere (the sandbox function runs
        an interactive problem's validator next to the submission): ValidatorBuildError if it
        cannot be built or is too large to send."""
        if self._portable is None:
            self.command()
            assert self._entry is not None
            self._portable = PortableValidator.from_entry(
                self._entry, json.loads((self._entry / "command.json").read_text()), str(find_tool("python")))
        return self._portable

    def _run_build(self, argv: list[str], cwd: Path, timeout: float) -> None:
        try:
            done = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, check=False,
                                  stderr=subprocess.STDOUT, timeout=timeout, start_new_session=True)
        except subprocess.TimeoutExpired:
            raise ValidatorBuildError(f"{self.program}: building took more than {timeout:g} s") from None
        except OSError as error:
            raise ValidatorBuildError(f"{self.program}: cannot run {argv[0]}: {error}") from None
        if done.returncode != 0:
            raise ValidatorBuildError(
                f"{self.program}: build failed (exit {done.returncode}):\n{truncate(done.stdout)}")

    # running ----------------------------------------------------------------------------------------

    def argv(self, input_path: Path, answer_path: Path, feedback_dir: Path, flags: Sequence[str]) -> list[str]:
        # The format wants feedback_dir to end with a separator: validators append file names to it.
        return [*self.command(), str(input_path), str(answer_path), f"{feedback_dir}{os.sep}", *flags]

    def check(self, test: TestCase, team_output: bytes, flags: Sequence[str] | None = None, *,
              input_path: Path | None = None, feedback_dir: Path | None = None) -> CheckResult:
        """Validate one run. Multi-pass problems give the pass's own input and a feedback directory
        that lives across the passes of one test (where the validator leaves nextpass.in)."""
        if flags is None:
            flags = test.output_validator_flags
        try:
            self.command()
        except ValidatorBuildError as error:
            return CheckResult.judge_error(str(error))
        with tempfile.TemporaryDirectory(prefix="judge-validate-") as scratch:
            work = Workspace(Path(scratch), test, feedback_dir)
            output_file = work.root / "team_output"
            output_file.write_bytes(team_output)
            timeout = self.problem.limits.validation_time_s
            with open(output_file, "rb") as stdin, open(work.log, "wb") as log:
                try:
                    process = subprocess.Popen(
                        self.argv(input_path or test.input_path, work.answer, work.feedback, flags),
                        stdin=stdin, stdout=log, stderr=log, cwd=work.cwd, start_new_session=True)
                except OSError as error:
                    return CheckResult.judge_error(f"cannot start the output validator: {error}")
                try:
                    code = process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    _kill_group(process)
                    process.wait()
                    return self.collect(work, None, test, f"the output validator ran longer than {timeout:g} s")
            return self.collect(work, code, test)

    def collect(self, work: Workspace, code: int | None, test: TestCase, failure: str = "") -> CheckResult:
        """Turn the validator's exit code and feedback directory into a CheckResult."""
        judge_message = _read(work.feedback / "judgemessage.txt")
        team_message = _read(work.feedback / "teammessage.txt")
        if code not in (EXIT_ACCEPT, EXIT_REJECT):
            if not failure:
                failure = (f"the output validator was killed by signal {-code}" if code is not None and code < 0
                           else f"the output validator exited with code {code} (expected 42 or 43)")
            log = _read(work.log)
            details = "\n".join(part for part in (failure, judge_message, log and f"validator output:\n{log}") if part)
            return CheckResult(Verdict.JUDGE_ERROR, None, truncate(details), team_message)
        if code == EXIT_REJECT:
            return CheckResult(Verdict.WRONG_ANSWER, None, judge_message, team_message)
        score, problem = self._score(work, test)
        if problem:
            return CheckResult(Verdict.JUDGE_ERROR, None, truncate(f"{problem}\n{judge_message}".strip()), team_message)
        return CheckResult(Verdict.ACCEPTED, score, judge_message, team_message)

    def _score(self, work: Workspace, test: TestCase) -> tuple[float | None, str]:
        """(score, error) from score.txt / score_multiplier.txt; only scoring problems have scores."""
        if not self.problem.is_scoring:
            return None, ""
        score_file = work.feedback / "score.txt"
        multiplier_file = work.feedback / "score_multiplier.txt"
        if score_file.exists() and multiplier_file.exists():
            return None, "the output validator wrote both score.txt and score_multiplier.txt"
        if score_file.exists():
            value = _number(score_file)
            if value is None:
                return None, f"score.txt is not a number: {_read(score_file)[:100]!r}"
            return value, ""
        if multiplier_file.exists():
            value = _number(multiplier_file)
            if value is None or not 0 <= value <= 1:
                return None, f"score_multiplier.txt must hold a number in [0, 1]: {_read(multiplier_file)[:100]!r}"
            if self._case_max is None:
                from judge.problem.grading import case_max_scores

                self._case_max = case_max_scores(self.problem)
            maximum = self._case_max.get(test.name)
            if maximum is None or math.isinf(maximum):
                return None, f"score_multiplier.txt for {test.name}, which has no bounded maximum score"
            return value * maximum, ""
        return None, ""


class Workspace:
    """A scratch directory per validator run: cwd, feedback dir, log, and an answer file."""

    def __init__(self, root: Path, test: TestCase, feedback: Path | None = None):
        self.root = root
        self.cwd = root / "cwd"
        self.feedback = feedback or root / "feedback"
        self.log = root / "validator.log"
        self.cwd.mkdir()
        self.feedback.mkdir(exist_ok=feedback is not None)
        if test.answer_path is not None:
            self.answer = Path(test.answer_path)
        else:
            # Interactive tests may come without .ans; the validator still gets a (empty) file.
            self.answer = root / "empty.ans"
            self.answer.write_bytes(b"")


def _read(path: Path, limit: int = FEEDBACK_LIMIT) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return ""
    return truncate(data, limit)


def _number(path: Path) -> float | None:
    try:
        value = float(path.read_text(encoding="utf-8", errors="replace").strip())
    except (OSError, ValueError):
        return None
    return value if math.isfinite(value) else None
