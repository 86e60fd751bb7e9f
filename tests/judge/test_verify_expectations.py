"""Where `judge verify` reads what a submission should get."""

import pytest

from judge.verdict import Verdict
from judge.verify import ExpectationError, expectation_for


def _write(root, relative, text="int main(){}\n"):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("folder, verdict", [
    ("accepted", Verdict.ACCEPTED), ("wrong_answer", Verdict.WRONG_ANSWER),
    ("time_limit_exceeded", Verdict.TIME_LIMIT_EXCEEDED), ("run_time_error", Verdict.RUNTIME_ERROR),
    ("memory_limit_exceeded", Verdict.MEMORY_LIMIT_EXCEEDED), ("output_limit", Verdict.OUTPUT_LIMIT_EXCEEDED),
    ("compiler_error", Verdict.COMPILATION_ERROR),
])
def test_folder_names_the_verdict(tmp_path, folder, verdict):
    assert expectation_for(_write(tmp_path, f"{folder}/a.cpp"), tmp_path).verdicts == {verdict}


def test_domjudge_expected_results_line_overrides_the_folder(tmp_path):
    path = _write(tmp_path, "accepted/a.cpp", "// @EXPECTED_RESULTS@: TIMELIMIT, wrong-answer\n")
    expectation = expectation_for(path, tmp_path)
    assert expectation.verdicts == {Verdict.TIME_LIMIT_EXCEEDED, Verdict.WRONG_ANSWER}
    assert expectation.source == "@EXPECTED_RESULTS@"


def test_expected_score_is_read(tmp_path):
    path = _write(tmp_path, "partially_accepted/a.py", "# @EXPECTED_SCORE@: 50\n")
    assert expectation_for(path, tmp_path).score == 50


def test_unknown_names_are_clear_errors(tmp_path):
    with pytest.raises(ExpectationError, match="names no verdict"):
        expectation_for(_write(tmp_path, "mystery/a.c"), tmp_path)
    with pytest.raises(ExpectationError, match="PRESENTATION"):
        expectation_for(_write(tmp_path, "mixed/b.c", "/* @EXPECTED_RESULTS@: PRESENTATION */"), tmp_path)
