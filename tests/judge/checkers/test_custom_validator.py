"""Custom output validators: C++ (with and without a shipped validate.h), Python, build/run scripts."""

from __future__ import annotations

import os
import shutil

import pytest

from judge.checkers import CustomValidator, DefaultValidator, checker_for
from judge.problem import load_problem
from judge.verdict import Verdict
from tests.judge.problem.packages import cases, write_package

AC, WA, JE = Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.JUDGE_ERROR

# Accepts when the team's number equals the answer's; flags and feedback are exercised too.
CPP_VALIDATOR = r"""
#include "validate.h"
#include <string>
int main(int argc, char **argv) {
    init_io(argc, argv);
    long long want, got;
    judge_ans >> want;
    if (!(author_out >> got)) wrong_answer("no number\n");
    for (int i = 4; i < argc; i++)
        if (std::string(argv[i]) == "crash") return 3;
    if (got != want) {
        author_message("try harder\n");
        wrong_answer("expected %lld, got %lld\n", want, got);
    }
    std::string extra;
    if (author_out >> extra) wrong_answer("trailing output\n");
    judge_message("fine\n");
    accept();
}
"""

PY_VALIDATOR = """
import sys, time
input_file, answer_file, feedback = sys.argv[1:4]
flags = sys.argv[4:]
team = sys.stdin.read().split()
want = open(answer_file).read().split()
if "sleep" in flags:
    time.sleep(30)
if "signal" in flags:
    import os, signal
    os.kill(os.getpid(), signal.SIGKILL)
if "zero" in flags:
    sys.exit(0)
if "score" in flags:
    open(feedback + "score.txt", "w").write(flags[flags.index("score") + 1])
if "multiplier" in flags:
    open(feedback + "score_multiplier.txt", "w").write(flags[flags.index("multiplier") + 1])
if "noisy" in flags:
    open(feedback + "judgemessage.txt", "w").write("x" * 100000)
if team == want:
    sys.exit(42)
with open(feedback + "judgemessage.txt", "a") as f:
    f.write(f"expected {want}, got {team}")
sys.exit(43)
"""


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv("JUDGE_CACHE_DIR", str(path))
    return path


def package(tmp_path, validator_files, problem_yaml="name: x\nvalidation: custom\n", name="p"):
    files = {"problem.yaml": problem_yaml, **cases("secret", ["1"])}
    files["data/secret/1.ans"] = "42\n"
    files.update(validator_files)
    return load_problem(write_package(tmp_path / name, files))


def only_test(problem):
    return problem.test_cases()[0]


needs_gpp = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")


@needs_gpp
def test_cpp_validator_with_our_validate_h(tmp_path, cache_dir):
    problem = package(tmp_path, {"output_validators/check/check.cpp": CPP_VALIDATOR})
    checker = checker_for(problem)
    assert isinstance(checker, CustomValidator)
    test = only_test(problem)
    accepted = checker.check(test, b"42\n")
    assert accepted.verdict == AC and accepted.feedback == "fine\n"
    rejected = checker.check(test, b"41\n")
    assert rejected.verdict == WA
    assert rejected.feedback == "expected 42, got 41\n" and rejected.team_message == "try harder\n"
    crashed = checker.check(test, b"42\n", ["crash"])
    assert crashed.verdict == JE and "exited with code 3" in crashed.feedback
    # Built once: one cache entry, reused by a fresh checker for the same sources.
    entries = [p for p in (cache_dir / "validators").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1
    before = entries[0].joinpath("validator").stat().st_mtime_ns
    assert CustomValidator(problem).check(test, b"42").verdict == AC
    assert entries[0].joinpath("validator").stat().st_mtime_ns == before


@needs_gpp
def test_cpp_validator_shipping_its_own_header_wins(tmp_path):
    header = '#pragma once\n#include <cstdlib>\ninline void verdict_from_package() { std::exit(43); }\n'
    source = '#include "validate.h"\nint main() { verdict_from_package(); }\n'
    problem = package(tmp_path, {"output_validators/v/validate.h": header, "output_validators/v/v.cpp": source})
    assert checker_for(problem).check(only_test(problem), b"42").verdict == WA


@needs_gpp
def test_cpp_compile_error_is_judge_error_for_every_test(tmp_path):
    problem = package(tmp_path, {"output_validators/v/v.cpp": "int main( {"})
    checker = checker_for(problem)
    first = checker.check(only_test(problem), b"42")
    assert first.verdict == JE and "build failed" in first.feedback
    assert checker.check(only_test(problem), b"42").verdict == JE


def test_python_validator_verdicts_feedback_and_flags(tmp_path):
    problem = package(tmp_path, {"output_validators/v/v.py": PY_VALIDATOR},
                      problem_yaml="name: x\nvalidation: custom\nvalidator_flags: extra\n")
    checker = checker_for(problem)
    test = only_test(problem)
    assert checker.check(test, b"42\n").verdict == AC
    rejected = checker.check(test, b"7\n")
    assert rejected.verdict == WA and rejected.feedback == "expected ['42'], got ['7']"
    assert checker.check(test, b"42", ["zero"]).verdict == JE  # exit 0 is not a verdict
    killed = checker.check(test, b"42", ["signal"])
    assert killed.verdict == JE and "signal 9" in killed.feedback
    noisy = checker.check(test, b"42", ["noisy"])
    assert noisy.verdict == AC and len(noisy.feedback) < 4200 and noisy.feedback.endswith("[truncated]")


def test_validator_time_limit(tmp_path):
    problem = package(tmp_path, {"output_validators/v/v.py": PY_VALIDATOR},
                      problem_yaml="name: x\nvalidation: custom\nlimits:\n  validation_time: 1\n")
    result = checker_for(problem).check(only_test(problem), b"42", ["sleep"])
    assert result.verdict == JE and "longer than 1 s" in result.feedback


def test_binary_team_output_reaches_the_validator_unchanged(tmp_path):
    script = ("import sys\ndata = sys.stdin.buffer.read()\n"
              "sys.exit(42 if data == bytes(range(256)) * 1000 else 43)\n")
    problem = package(tmp_path, {"output_validators/v.py": script})
    assert checker_for(problem).check(only_test(problem), bytes(range(256)) * 1000).verdict == AC


def test_scores_for_scoring_problems(tmp_path):
    problem = package(tmp_path, {"output_validators/v/v.py": PY_VALIDATOR},
                      problem_yaml="name: x\ntype: scoring\nvalidation: custom score\n")
    checker = checker_for(problem)
    test = only_test(problem)
    assert checker.check(test, b"42", ["score", "17.5"]).score == 17.5
    assert checker.check(test, b"42").score is None  # no score.txt: the grader uses accept_score
    bad = checker.check(test, b"42", ["score", "lots"])
    assert bad.verdict == JE and "score.txt is not a number" in bad.feedback
    assert checker.check(test, b"0", ["score", "5"]).score is None  # a rejected test has no score


def test_score_multiplier_2023(tmp_path):
    problem = package(tmp_path, {"output_validator/v.py": PY_VALIDATOR,
                                 "data/secret/test_group.yaml": "scoring: {score: 40}\n"},
                      problem_yaml="problem_format_version: 2023-07-draft\nname: x\ntype: scoring\n")
    checker = checker_for(problem)
    test = only_test(problem)
    assert checker.check(test, b"42", ["multiplier", "0.25"]).score == 10.0
    assert checker.check(test, b"42", ["multiplier", "1.5"]).verdict == JE


def test_build_and_run_scripts(tmp_path):
    build = "#!/bin/sh\nprintf '#!/bin/sh\\nexit 42\\n' > run\nchmod +x run\n"
    problem = package(tmp_path, {"output_validators/v/build": build})
    os.chmod(problem.output_validator / "build", 0o755)
    assert checker_for(problem).check(only_test(problem), b"anything").verdict == AC


def test_python_package_with_main(tmp_path):
    problem = package(tmp_path, {"output_validators/v/__main__.py": "from v_lib import decide\ndecide()\n",
                                 "output_validators/v/v_lib.py": "import sys\ndef decide():\n    sys.exit(43)\n"})
    assert checker_for(problem).check(only_test(problem), b"42").verdict == WA


def test_interactive_answer_may_be_missing(tmp_path):
    script = "import sys, os\nsys.exit(42 if os.path.getsize(sys.argv[2]) == 0 else 43)\n"
    root = write_package(tmp_path / "i", {"problem.yaml": "name: x\nvalidation: custom interactive\n",
                                          "output_validators/v.py": script, **cases("secret", ["1"], True)})
    problem = load_problem(root)
    assert only_test(problem).answer_path is None
    assert checker_for(problem).check(only_test(problem), b"").verdict == AC


def test_default_checker_without_custom_validation(tmp_path):
    problem = load_problem(write_package(tmp_path / "d", {"problem.yaml": "name: x\n", **cases("secret", ["1"])}))
    assert isinstance(checker_for(problem), DefaultValidator)
    assert checker_for(problem).check(only_test(problem), b"1\n").verdict == AC
