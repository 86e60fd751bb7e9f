"""The `judge` command: run one submission, verify a problem package, list and self-test languages.

Exit codes: 0 success (for `run`: the submission was judged, whatever the verdict), 1 a verification
mismatch or failed self-test, 2 bad input (a clear message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from judge.result import SubmissionResult

EXIT_MISMATCH, EXIT_BAD_INPUT = 1, 2


class Progress:
    """A one-line progress display on stderr, only when stdout is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stdout.isatty() and sys.stderr.isatty()
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        if self.enabled:
            elapsed = time.monotonic() - self.started
            sys.stderr.write(f"\r\033[K[{elapsed:6.1f}s] {message[:100]}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _fail(message: str) -> int:
    print(f"judge: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _load_problem(path: str):
    from judge.problem import ProblemFormatError, load_problem

    try:
        return load_problem(Path(path))
    except ProblemFormatError as error:
        raise SystemExit(_fail(f"bad problem package: {error}")) from None
    except FileNotFoundError as error:
        raise SystemExit(_fail(f"no such problem package: {error}")) from None


def cmd_run(args: argparse.Namespace) -> int:
    from judge.engine import JudgeOptions, judge_submission
    from judge.languages import UnknownLanguage, get_language, language_for_path
    from judge.runner import LocalRunner

    problem = _load_problem(args.problem)
    source_path = Path(args.source)
    if not source_path.is_file():
        return _fail(f"no such source file: {source_path}")
    try:
        language = get_language(args.language) if args.language else language_for_path(source_path)
    except UnknownLanguage as error:
        return _fail(str(error))
    if args.time_limit is not None and not 0 < args.time_limit <= 60:
        return _fail("--time-limit must be between 0 and 60 seconds")
    progress = Progress()
    options = JudgeOptions(time_limit_s=args.time_limit, run_all_tests=args.all_tests, progress=progress)
    result = judge_submission(problem, language, source_path.read_bytes(), LocalRunner(), options)
    progress.done()
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _print_result(result)
    return 0


def _print_result(result: SubmissionResult) -> None:
    for test in result.tests:
        extra = f"  {test.feedback.splitlines()[0][:80]}" if test.feedback else ""
        print(f"  {test.name:<32} {test.verdict.value:<22} {test.time_ms:>6} ms {test.memory_kb // 1024:>5} MiB{extra}")
    score = f"  score {result.score:g}" if result.score is not None else ""
    print(f"{result.verdict.value}{score}  time {result.time_ms} ms  memory {result.memory_kb // 1024} MiB")
    if result.reason and result.verdict.value != "ACCEPTED":
        print(f"reason: {result.reason}")
    if result.compile_output.strip():
        print("compiler output:\n" + result.compile_output)


def cmd_verify(args: argparse.Namespace) -> int:
    from judge.runner import LocalRunner
    from judge.verify import verify_problem

    problem = _load_problem(args.problem)
    progress = Progress()
    try:
        report = verify_problem(problem, LocalRunner(), progress, args.time_limit)
    finally:
        progress.done()
    root = problem.root / "submissions"
    if args.json:
        print(json.dumps({
            "problem": report.problem, "ok": report.ok, "time_limit_s": report.time_limit_s,
            "time_limit_source": report.time_limit_source, "warnings": report.warnings,
            "submissions": [check.to_json(root) for check in report.checks],
        }, indent=2))
    else:
        print(f"{report.problem}: time limit {report.time_limit_s:g} s ({report.time_limit_source})")
        for warning in report.warnings:
            print(f"  warning: {warning}")
        for check in report.checks:
            name = str(check.path.relative_to(root))
            if not check.verified:
                print(f"  skip {name:<48} not verified: {check.message}")
                continue
            mark = "ok  " if check.matched else "FAIL"
            print(f"  {mark} {name:<48} {check.result.verdict.value:<22} {check.result.time_ms:>6} ms  {check.message}")
        if not report.verified:
            print("  no submissions to verify")
        counts = f"{sum(c.matched for c in report.verified)} of {len(report.verified)} verified"
        skipped = len(report.checks) - len(report.verified)
        print(("verified" if report.ok else "MISMATCH") + f": {counts}" + (f", {skipped} not verified" if skipped else ""))
    return 0 if report.ok else EXIT_MISMATCH


def cmd_languages(args: argparse.Namespace) -> int:
    from judge.languages import LANGUAGES
    from judge.selftest import self_test_all

    if not args.check:
        for language in LANGUAGES.values():
            print(f"{language.name:<8} {language.display_name:<28} {' '.join(language.extensions)}")
        return 0
    failures = 0
    for report in self_test_all():
        failures += not report.ok
        status = "ok  " if report.ok else "FAIL"
        version = f"  ({report.version})" if report.ok and report.version else ""
        print(f"{status} {report.language:<8} compile {report.compile_ms:>5} ms  run {report.run_ms:>5} ms  "
              f"{report.detail}{version}")
    return EXIT_MISMATCH if failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="judge", description="Sandboxed compile-and-run judge.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="judge one submission against a problem package")
    run.add_argument("problem", help="problem package directory")
    run.add_argument("source", help="submission source file")
    run.add_argument("--language", help="python, c, cpp or java (default: from the extension)")
    run.add_argument("--time-limit", type=float, help="CPU time limit in seconds (overrides the package)")
    run.add_argument("--all-tests", action="store_true", help="keep running after the first failing test")
    run.add_argument("--json", action="store_true", help="print the result as JSON (schema v1)")
    run.set_defaults(handler=cmd_run)

    verify = commands.add_parser("verify", help="check every submission in the package gets its expected verdict")
    verify.add_argument("problem", help="problem package directory")
    verify.add_argument("--time-limit", type=float, help="override the package's time limit")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=cmd_verify)

    languages = commands.add_parser("languages", help="list languages; --check runs each one's self-test")
    languages.add_argument("--check", action="store_true")
    languages.set_defaults(handler=cmd_languages)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
