"""`judge verify` on a whole package: each submission gets its own line, and one that cannot be
verified (with its reason) never stops the others."""

from judge.problem import load_problem
from judge.runner import LocalRunner
from judge.verdict import Verdict
from judge.verify import verify_problem
from tests.judge.problem.packages import write_package

SUM = "print(sum(map(int, input().split())))\n"


def _package(tmp_path, submissions: dict[str, str]):
    files = {"problem.yaml": "name: sum\nlimits:\n  memory: 64\n", ".timelimit": "2\n",
             "data/secret/1.in": "1 2\n", "data/secret/1.ans": "3\n"}
    files.update({f"submissions/{name}": text for name, text in submissions.items()})
    return load_problem(write_package(tmp_path / "p", files))


def _by_name(report, root):
    return {str(check.path.relative_to(root / "submissions")): check for check in report.checks}


def test_unreadable_expectations_are_reported_per_submission_and_the_rest_verify(tmp_path):
    problem = _package(tmp_path, {
        "accepted/ok.py": SUM,
        "wrong_answer/wa.py": "print(4)\n",
        "mixed-verdicts/tagged.py": "# @EXPECTED_SCORE@: CORRECT\n" + SUM,
        "run_time_error/memory.py": "x = bytearray(1 << 30)\n",  # Kattis' memory_limit.cc, in Python
        "slow_accepted/slow.py": SUM,
        "check_manually/manual.py": "# @EXPECTED_RESULTS@: CHECK-MANUALLY\n" + SUM,
        "wrong_answer/twice.py": "# @EXPECTED_RESULTS@: WRONG-ANSWER\n# @EXPECTED_RESULTS@: TIMELIMIT\n",
        "accepted/old.py": "#!/usr/bin/env python2\nprint 3\n",
        "accepted/multi/main.py": SUM,
        "accepted/multi/helper.py": "",
        "accepted/README.md": "not a submission\n",
    })
    report = verify_problem(problem, LocalRunner())
    checks = _by_name(report, problem.root)
    assert set(checks) == {"accepted/ok.py", "wrong_answer/wa.py", "mixed-verdicts/tagged.py",
                           "run_time_error/memory.py", "slow_accepted/slow.py", "check_manually/manual.py",
                           "wrong_answer/twice.py", "accepted/old.py", "accepted/multi"}
    assert {name for name, c in checks.items() if c.verified} == {
        "accepted/ok.py", "wrong_answer/wa.py", "mixed-verdicts/tagged.py", "run_time_error/memory.py"}
    assert report.ok, [(c.path.name, c.message) for c in report.checks]
    memory = checks["run_time_error/memory.py"]
    assert memory.result.verdict == Verdict.MEMORY_LIMIT_EXCEEDED and "run-time error in Kattis" in memory.message
    assert "names no verdict" in checks["slow_accepted/slow.py"].message
    assert "a human decides" in checks["check_manually/manual.py"].message
    assert "more than one" in checks["wrong_answer/twice.py"].message
    assert "Python 2" in checks["accepted/old.py"].message
    assert "multi-file" in checks["accepted/multi"].message


def test_a_mismatch_fails_the_report_but_every_other_submission_is_still_judged(tmp_path):
    problem = _package(tmp_path, {"accepted/ok.py": SUM, "time_limit_exceeded/fast.py": SUM,
                                  "wrong_answer/wa.py": "print(4)\n"})
    report = verify_problem(problem, LocalRunner())
    checks = _by_name(report, problem.root)
    assert not report.ok and len(report.verified) == 3
    assert not checks["time_limit_exceeded/fast.py"].matched
    assert checks["accepted/ok.py"].matched and checks["wrong_answer/wa.py"].matched


def test_a_samples_only_package_verifies_with_its_warning(tmp_path):
    problem = load_problem(write_package(tmp_path / "p", {
        "problem.yaml": "name: sum\n", "data/sample/1.in": "1 2\n", "data/sample/1.ans": "3\n",
        "submissions/accepted/ok.py": SUM, "submissions/wrong_answer/wa.py": "print(4)\n"}))
    report = verify_problem(problem, LocalRunner(), time_limit_s=2)
    assert report.ok and len(report.verified) == 2
    assert any("judged on data/sample alone" in w for w in report.warnings)


def test_a_derived_time_limit_rounds_up_to_the_time_resolution(tmp_path):
    """problemtools: the slowest accepted run x ac_to_time_limit, rounded up to limits.time_resolution."""
    problem = load_problem(write_package(tmp_path / "p", {
        "problem.yaml": ("problem_format_version: 2023-07-draft\nname: sum\n"
                         "limits:\n  time_resolution: 0.25\n  time_multipliers: {ac_to_time_limit: 3}\n"),
        "data/secret/1.in": "1 2\n", "data/secret/1.ans": "3\n", "submissions/accepted/ok.py": SUM}))
    report = verify_problem(problem, LocalRunner())
    slowest = report.checks[0].result.time_ms / 1000
    assert report.ok and report.time_limit_source == "derived from accepted submissions"
    assert report.time_limit_s % 0.25 == 0 and report.time_limit_s - 0.25 < max(slowest * 3, 0.25) <= report.time_limit_s
