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


def test_what_meets_its_expectation_only_at_the_longer_limit_is_ok_with_extra_time(tmp_path):
    """problemtools re-judges at time_limit x time_limit_to_tle: a wrong answer that is too slow for
    the limit is "OK with extra time", with a warning that the limit is sensitive to it."""
    slow_wrong = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.5: pass\nprint(4)\n"
    files = {"problem.yaml": "name: sum\nlimits:\n  time_limit: 1\n  time_safety_margin: 2\n",
             "data/secret/1.in": "1 2\n", "data/secret/1.ans": "3\n", "submissions/accepted/ok.py": SUM,
             "submissions/wrong_answer/slow.py": slow_wrong,
             "submissions/accepted/too_slow.py": slow_wrong.replace("print(4)", "print(3)")}
    problem = load_problem(write_package(tmp_path / "p", files))
    report = verify_problem(problem, LocalRunner())
    checks = _by_name(report, problem.root)
    slow = checks["wrong_answer/slow.py"]
    assert slow.matched and slow.result.verdict == Verdict.TIME_LIMIT_EXCEEDED, slow
    assert "OK with extra time (WRONG_ANSWER at 2 s" in slow.message
    # An accepted submission that needs the extra time is OK with it too, as in problemtools.
    assert checks["accepted/too_slow.py"].matched and "OK with extra time" in checks["accepted/too_slow.py"].message


def test_a_submission_in_a_language_the_problem_does_not_take_is_not_verified_and_is_refused(tmp_path):
    from judge.engine import judge_submission
    from judge.languages import LANGUAGES

    files = {"problem.yaml": "name: sum\nlanguages: [cpp, python3]\nlimits:\n  code: 1\n", ".timelimit": "2\n",
             "data/secret/1.in": "1 2\n", "data/secret/1.ans": "3\n", "submissions/accepted/ok.py": SUM,
             "submissions/accepted/ok.c": '#include <stdio.h>\nint main(){int a,b;scanf("%d %d",&a,&b);'
                                          'printf("%d\\n",a+b);}\n'}
    problem = load_problem(write_package(tmp_path / "p", files))
    assert problem.languages == {"cpp", "python"}
    checks = _by_name(verify_problem(problem, LocalRunner()), problem.root)
    assert checks["accepted/ok.py"].matched and not checks["accepted/ok.c"].verified
    assert "does not take c" in checks["accepted/ok.c"].message
    refused = judge_submission(problem, LANGUAGES["c"], files["submissions/accepted/ok.c"].encode(), LocalRunner())
    assert refused.verdict == Verdict.COMPILATION_ERROR and "not one of this problem's languages" in refused.reason
    too_long = judge_submission(problem, LANGUAGES["python"], SUM.encode() + b"#" * 1024, LocalRunner())
    assert too_long.verdict == Verdict.COMPILATION_ERROR and "code limit of 1 KiB" in too_long.reason


def test_languages_are_read_as_the_format_spells_them(tmp_path):
    def languages(value):
        files = {"problem.yaml": f"name: sum\nlanguages: {value}\n", "data/secret/1.in": "", "data/secret/1.ans": ""}
        return load_problem(write_package(tmp_path / str(abs(hash(value))), files))

    assert languages("all").languages is None
    assert languages("'c, java'").languages == {"c", "java"}
    assert languages("[python3, rust]").languages == {"python"}
    nothing = languages("[rust, kotlin]")
    assert nothing.languages == frozenset() and any("names no language" in w for w in nothing.warnings)
