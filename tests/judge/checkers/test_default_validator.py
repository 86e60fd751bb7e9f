"""The default output validator: every flag, tolerance boundaries, whitespace, case, odd output."""

from __future__ import annotations

import pytest

from judge.checkers.default_validator import DefaultValidator, compare, parse_flags
from judge.problem.model import TestCase
from judge.verdict import Verdict

AC, WA, JE = Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.JUDGE_ERROR


def verdict(answer: bytes, output: bytes, *flags: str) -> Verdict:
    return compare(answer, output, flags).verdict


@pytest.mark.parametrize("answer, output, expected", [
    (b"1 2\n", b"1 2\n", AC),
    (b"1 2\n", b"  1\n\n\t2   ", AC),  # any whitespace run is as good as another
    (b"1\r\n2\r\n", b"1\n2\n", AC),  # \r is whitespace
    (b"1\v2\f", b"1 2", AC),
    (b"", b"", AC),
    (b"\n", b"   \n\n", AC),
    (b"1 2\n", b"1 3\n", WA),
    (b"1 2\n", b"1\n", WA),  # missing token
    (b"1\n", b"1 2\n", WA),  # trailing output
    (b"1\n", b"", WA),  # empty output
    (b"", b"x", WA),
    (b"12\n", b"1 2\n", WA),  # tokens, not characters
])
def test_tokens(answer, output, expected):
    assert verdict(answer, output) == expected


def test_case_insensitive_by_default_ascii_only():
    assert verdict(b"Yes\n", b"YES\n") == AC
    assert verdict(b"Yes\n", b"YES\n", "case_sensitive") == WA
    assert verdict(b"Yes\n", b"Yes\n", "case_sensitive") == AC
    # strcasecmp in the C locale folds ASCII only: non-ASCII bytes must match exactly.
    assert verdict("Ärger\n".encode(), "äRGER\n".encode()) == WA
    assert verdict("ärger\n".encode(), "äRGER\n".encode()) == AC


def test_space_change_sensitive():
    flags = ("space_change_sensitive",)
    assert verdict(b"1 2\n", b"1 2\n", *flags) == AC
    assert verdict(b"1 2\n", b"1  2\n", *flags) == WA
    assert verdict(b"1 2\n", b"1\t2\n", *flags) == WA
    assert verdict(b"1 2\n", b"1 2", *flags) == WA  # trailing newline missing
    assert verdict(b"1 2\n", b"1 2\n\n", *flags) == WA  # extra trailing whitespace
    assert verdict(b"1 2\n", b" 1 2\n", *flags) == WA  # leading whitespace
    assert verdict(b"a b\n", b"A B\n", *flags) == AC  # still case-insensitive
    result = compare(b"1 2\n", b"1  2\n", flags)
    assert "whitespace differs" in result.feedback and "line 1" in result.feedback


@pytest.mark.parametrize("flags, answer, output, expected", [
    # absolute: |s - a| <= eps, boundary inclusive
    (("float_absolute_tolerance", "0.5"), b"1.0", b"1.5", AC),
    (("float_absolute_tolerance", "0.5"), b"1.0", b"1.5000001", WA),
    (("float_absolute_tolerance", "0.5"), b"1.0", b"0.5", AC),
    # relative: |s - a| <= eps * |a|
    (("float_relative_tolerance", "0.1"), b"100", b"110", AC),
    (("float_relative_tolerance", "0.1"), b"100", b"110.001", WA),
    (("float_relative_tolerance", "0.1"), b"-100", b"-90", AC),
    (("float_relative_tolerance", "0.1"), b"0", b"1e-300", WA),  # relative to 0 accepts only 0
    # both: either tolerance is enough
    (("float_relative_tolerance", "0.1", "float_absolute_tolerance", "5"), b"0", b"4", AC),
    (("float_relative_tolerance", "0.1", "float_absolute_tolerance", "5"), b"1000", b"1090", AC),
    (("float_relative_tolerance", "0.1", "float_absolute_tolerance", "5"), b"10", b"16", WA),
    # float_tolerance sets both
    (("float_tolerance", "1e-6"), b"0.0314", b"3.14000000e-2", AC),
    (("float_tolerance", "1e-6"), b"1e6", b"1000000.9", AC),  # relative
    (("float_tolerance", "1e-6"), b"1e6", b"1000001.5", WA),
    (("float_tolerance", "1e-6"), b"3", b"3.0000005", AC),  # integers in the answer are floats too
    (("float_tolerance", "1e-6"), b"+.5", b"0.5", AC),
    (("float_tolerance", "1e-6"), b"5.", b"5", AC),
    (("float_tolerance", "1e-6"), b"1", b"abc", WA),  # output must parse when the answer does
    (("float_tolerance", "1e-6"), b"1", b"nan", WA),
    (("float_tolerance", "1e-6"), b"1", b"inf", WA),
    (("float_tolerance", "1e-6"), b"1", b"0x1", WA),  # no hex: the spec's grammar is decimal
    (("float_tolerance", "1e-6"), b"1", b"1e999", WA),  # overflows to inf
    # answer tokens that are not floats compare as strings (case-insensitively)
    (("float_tolerance", "1e-6"), b"inf", b"INF", AC),
    (("float_tolerance", "1e-6"), b"nan", b"nan", AC),
    (("float_tolerance", "1e-6"), b"IMPOSSIBLE 1.0", b"impossible 1.0000001", AC),
    (("float_tolerance", "1e-6"), b"1e", b"1e", AC),
    # without a tolerance numbers are strings
    ((), b"1.0", b"1.00", WA),
    ((), b"1.0", b"1.0", AC),
])
def test_float_tolerances(flags, answer, output, expected):
    assert verdict(answer, output, *flags) == expected


def test_messages_name_the_line_and_tokens():
    result = compare(b"1\n2\n3\n", b"1\n2\n4\n")
    assert result.verdict == WA
    assert result.feedback == "Wrong answer on line 3: expected '3', got '4'"
    assert "trailing output 'extra'" in compare(b"1\n", b"1\n\nextra\n").feedback
    assert "line 3" in compare(b"1\n", b"1\n\nextra\n").feedback
    assert "got empty output" in compare(b"1\n", b"").feedback
    assert "got only whitespace" in compare(b"1\n", b"\n\n").feedback
    assert "got end of output" in compare(b"1 2\n", b"1\n").feedback
    float_message = compare(b"1.0\n", b"2.0\n", ["float_absolute_tolerance", "0.5"]).feedback
    assert "difference 1" in float_message and "absolute tolerance 0.5" in float_message


def test_binary_and_huge_output_never_crash():
    garbage = bytes(range(256)) * 4
    result = compare(b"hello\n", garbage)
    assert result.verdict == WA
    result.feedback.encode("utf-8")  # printable
    assert compare(b"\xff\xfe\n", b"\xff\xfe\n").verdict == AC
    assert compare(b"a\x00b\n", b"a\x00c\n").verdict == WA  # NUL is an ordinary byte
    long_token = b"x" * 5_000_000
    result = compare(b"1\n", long_token)
    assert result.verdict == WA and len(result.feedback) < 300
    many = b"1 " * 2_000_000
    assert compare(many, many).verdict == AC
    assert compare(many, many + b"1").verdict == WA
    assert compare(b"1\n", b"9" * 5000, ["float_tolerance", "1"]).verdict == WA


@pytest.mark.parametrize("flags", [["bogus"], ["float_tolerance"], ["float_tolerance", "x"],
                                   ["float_absolute_tolerance", "-1"], ["float_relative_tolerance", "nan"]])
def test_bad_flags_are_judge_errors(flags):
    result = compare(b"1\n", b"1\n", flags)
    assert result.verdict == JE and "default output validator" in result.feedback


def test_parse_flags():
    options = parse_flags(["case_sensitive", "float_tolerance", "1e-4", "space_change_sensitive"])
    assert options.case_sensitive and options.space_change_sensitive
    assert options.absolute_tolerance == options.relative_tolerance == 1e-4


def test_checker_reads_the_answer_file_and_test_flags(tmp_path):
    answer = tmp_path / "1.ans"
    answer.write_bytes(b"3.0\n")
    test = TestCase("secret/1", tmp_path / "1.in", answer, "secret", ("float_tolerance", "0.01"))
    checker = DefaultValidator()
    assert checker.check(test, b"3.001\n").verdict == AC
    assert checker.check(test, b"3.001\n", []).verdict == WA  # explicit flags win
    assert checker.check(TestCase("secret/2", tmp_path / "2.in", None, "secret"), b"").verdict == JE
