"""The Kattis default output validator, in-process.

Semantics follow the format spec and problemtools' default_validator:

* Both files are byte strings split into tokens on runs of the six C whitespace bytes
  (space, \\t, \\n, \\v, \\f, \\r). Bytes are never decoded, so binary output cannot break the
  comparison; messages show tokens with undecodable bytes escaped.
* Tokens match case-insensitively over ASCII letters only (strcasecmp in the C locale), or
  byte-for-byte with `case_sensitive`.
* `space_change_sensitive`: every whitespace run, leading and trailing included, must be identical.
* With a float tolerance set, an answer token that parses as a finite decimal float (the 2023-07
  grammar: sign, digits, optional point, optional exponent; no inf/nan/hex) is compared as a
  number: the output token must parse too and be within the absolute OR the relative tolerance
  (|s-a| <= eps_abs, |s-a| <= eps_rel*|a|). Integers in the answer are floats too. Other answer
  tokens compare as strings. Without a tolerance, numbers are strings.
* Output with more tokens than the answer is rejected (trailing output); fewer too.
* Unknown flags or a malformed tolerance are the problem setter's error: JUDGE_ERROR.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from judge.checkers.base import CheckResult, truncate
from judge.problem.model import TestCase
from judge.verdict import Verdict

_TOKEN = re.compile(rb"[^ \t\n\v\f\r]+")
_PIECE = re.compile(rb"[ \t\n\v\f\r]+|[^ \t\n\v\f\r]+")
_FLOAT = re.compile(rb"[+-]?(?:[0-9]*\.[0-9]+|[0-9]+\.?)(?:[eE][+-]?[0-9]+)?")
_FLOAT_TOKEN_MAX = 1000  # longer "numbers" are compared as strings (the spec lets us bound digits)
_SHOW = 60  # characters of a token shown in a message


class FlagError(ValueError):
    pass


@dataclass(frozen=True)
class Options:
    case_sensitive: bool = False
    space_change_sensitive: bool = False
    absolute_tolerance: float | None = None
    relative_tolerance: float | None = None

    @property
    def floats(self) -> bool:
        return self.absolute_tolerance is not None or self.relative_tolerance is not None


def parse_flags(flags: Sequence[str]) -> Options:
    case = space = False
    absolute = relative = None
    args = list(flags)
    i = 0
    while i < len(args):
        flag = args[i]
        if flag == "case_sensitive":
            case = True
        elif flag == "space_change_sensitive":
            space = True
        elif flag in ("float_tolerance", "float_absolute_tolerance", "float_relative_tolerance"):
            if i + 1 >= len(args):
                raise FlagError(f"{flag} needs a value")
            value = _parse_float(args[i + 1].encode())
            if value is None or value < 0:
                raise FlagError(f"{flag}: {args[i + 1]!r} is not a non-negative number")
            if flag != "float_relative_tolerance":
                absolute = value
            if flag != "float_absolute_tolerance":
                relative = value
            i += 1
        else:
            raise FlagError(f"unknown flag {flag!r}")
        i += 1
    return Options(case, space, absolute, relative)


def _parse_float(token: bytes) -> float | None:
    if len(token) > _FLOAT_TOKEN_MAX or not _FLOAT.fullmatch(token):
        return None
    value = float(token)
    return value if math.isfinite(value) else None  # 1e999 overflows: not a usable float


def _show(token: bytes) -> str:
    text = token[:_SHOW * 4].decode("utf-8", "backslashreplace")
    return text if len(text) <= _SHOW else text[:_SHOW] + "..."


class _Lines:
    """Line numbers of byte offsets, counted incrementally (offsets only grow)."""

    def __init__(self, data: bytes):
        self.data, self.pos, self.line = data, 0, 1

    def at(self, offset: int) -> int:
        self.line += self.data.count(b"\n", self.pos, offset)
        self.pos = offset
        return self.line


def compare(answer: bytes, output: bytes, flags: Sequence[str] = ()) -> CheckResult:
    """Judge `output` against `answer` as the default validator does."""
    try:
        options = parse_flags(flags)
    except FlagError as error:
        return CheckResult.judge_error(f"default output validator: {error}")
    if _same(answer, output, options):
        return CheckResult(Verdict.ACCEPTED)
    if options.space_change_sensitive:
        return _compare_exact_space(answer, output, options)
    return _compare_tokens(answer, output, options)


def _same(answer: bytes, output: bytes, options: Options) -> bool:
    """Fast path at C speed for the common correct output: equal token streams are accepted under
    every flag combination. Only a mismatch pays for the token-by-token walk that explains it."""
    if not options.case_sensitive:
        answer, output = answer.lower(), output.lower()
    if options.space_change_sensitive:
        return answer == output
    return _squeeze(answer) == _squeeze(output)


def _skip_identical_tokens(answer: bytes, output: bytes, options: Options) -> tuple[int, int]:
    """Offsets of the first token that differs as a string, found at C speed, so that a mismatch
    deep in a huge output does not cost a Python-level step per token before it."""
    a, o = _squeeze(answer), _squeeze(output)
    if not options.case_sensitive:
        a, o = a.lower(), o.lower()
    low, high = 0, min(len(a), len(o))
    while low < high:  # longest common prefix by bisection over memcmp
        middle = (low + high + 1) // 2
        if a[:middle] == o[:middle]:
            low = middle
        else:
            high = middle - 1
    low = a.rfind(b" ", 0, low) + 1  # back to the start of the token where they part
    skip = a.count(b" ", 0, low)
    if skip == 0:
        return 0, 0
    skipper = re.compile(rb"[ \t\n\v\f\r]*+(?:[^ \t\n\v\f\r]++[ \t\n\v\f\r]++){%d}" % skip)
    return skipper.match(answer).end(), skipper.match(output).end()


_TO_SPACE = bytes.maketrans(b"\t\n\v\f\r", b"     ")


def _squeeze(data: bytes) -> bytes:
    """Every whitespace run as one space, none at the ends (C-speed passes; runs halve each pass)."""
    data = data.translate(_TO_SPACE)
    while b"  " in data:
        data = data.replace(b"  ", b" ")
    return data.strip(b" ")


def _compare_tokens(answer: bytes, output: bytes, options: Options) -> CheckResult:
    lines = _Lines(output)
    answer_from, output_from = _skip_identical_tokens(answer, output, options)
    theirs = _TOKEN.finditer(output, output_from)
    for expected in _TOKEN.finditer(answer, answer_from):
        got = next(theirs, None)
        if got is None:
            return _missing(expected.group(), output, lines)
        problem = _token_mismatch(expected.group(), got.group(), options)
        if problem:
            return _wrong(f"Wrong answer on line {lines.at(got.start())}: {problem}")
    extra = next(theirs, None)
    if extra is not None:
        return _wrong(f"Wrong answer on line {lines.at(extra.start())}: trailing output '{_show(extra.group())}'")
    return CheckResult(Verdict.ACCEPTED)


def _compare_exact_space(answer: bytes, output: bytes, options: Options) -> CheckResult:
    lines = _Lines(output)
    theirs: Iterator[re.Match[bytes]] = _PIECE.finditer(output)
    for expected in _PIECE.finditer(answer):
        want = expected.group()
        got = next(theirs, None)
        want_space = want[0] in b" \t\n\v\f\r"
        if got is None:
            if want_space:
                return _wrong(f"Wrong answer on line {lines.at(len(output))}: whitespace differs: "
                              f"expected {_show_space(want)}, got end of output")
            return _missing(want, output, lines)
        have = got.group()
        line = lines.at(got.start())
        have_space = have[0] in b" \t\n\v\f\r"
        if want_space or have_space:
            if have != want:
                shown = _show_space(have) if have_space else f"'{_show(have)}'"
                expected_shown = _show_space(want) if want_space else f"'{_show(want)}'"
                return _wrong(f"Wrong answer on line {line}: whitespace differs: expected {expected_shown}, got {shown}")
            continue
        problem = _token_mismatch(want, have, options)
        if problem:
            return _wrong(f"Wrong answer on line {line}: {problem}")
    extra = next(theirs, None)
    if extra is not None:
        piece = extra.group()
        line = lines.at(extra.start())
        if piece[0] in b" \t\n\v\f\r":
            return _wrong(f"Wrong answer on line {line}: whitespace differs: expected end of output, "
                          f"got {_show_space(piece)}")
        return _wrong(f"Wrong answer on line {line}: trailing output '{_show(piece)}'")
    return CheckResult(Verdict.ACCEPTED)


def _show_space(run: bytes) -> str:
    shown = repr(run[:_SHOW].decode("ascii"))
    return shown + ("..." if len(run) > _SHOW else "")


def _token_mismatch(expected: bytes, got: bytes, options: Options) -> str | None:
    """Why `got` does not match `expected`, or None when it does."""
    if options.floats:
        want = _parse_float(expected)
        if want is not None:
            have = _parse_float(got)
            if have is None:
                return f"expected a number close to '{_show(expected)}', got '{_show(got)}'"
            diff = abs(have - want)
            absolute, relative = options.absolute_tolerance, options.relative_tolerance
            if (absolute is not None and diff <= absolute) or (relative is not None and diff <= relative * abs(want)):
                return None
            return (f"expected '{_show(expected)}', got '{_show(got)}' (difference {diff:.6g}; "
                    f"absolute tolerance {_tol(absolute)}, relative tolerance {_tol(relative)})")
    if options.case_sensitive:
        same = expected == got
    else:
        same = expected.lower() == got.lower()  # bytes.lower() folds ASCII letters only
    return None if same else f"expected '{_show(expected)}', got '{_show(got)}'"


def _tol(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _missing(expected: bytes, output: bytes, lines: _Lines) -> CheckResult:
    if not output:
        return _wrong(f"Wrong answer on line 1: expected '{_show(expected)}', got empty output")
    if not _TOKEN.search(output):
        return _wrong(f"Wrong answer on line 1: expected '{_show(expected)}', got only whitespace")
    return _wrong(f"Wrong answer on line {lines.at(len(output))}: expected '{_show(expected)}', got end of output")


def _wrong(message: str) -> CheckResult:
    return CheckResult(Verdict.WRONG_ANSWER, None, truncate(message))


class DefaultValidator:
    """The default output validator as an OutputChecker."""

    def __init__(self, problem=None):
        self.problem = problem

    def check(self, test: TestCase, team_output: bytes, flags: Sequence[str] | None = None) -> CheckResult:
        if flags is None:
            flags = test.output_validator_flags
        if test.answer_path is None:
            return CheckResult.judge_error(f"{test.name}: no .ans file for the default validator")
        try:
            answer = Path(test.answer_path).read_bytes()
        except OSError as error:
            return CheckResult.judge_error(f"{test.name}: cannot read the answer: {error}")
        return compare(answer, team_output, flags)
