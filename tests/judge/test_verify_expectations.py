"""Where `judge verify` reads what a submission should get."""

import pytest

from judge.verdict import Verdict
from judge.verify import Unverifiable, expectation_for


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
    assert expectation.source == "tag"


def test_expected_score_is_read(tmp_path):
    path = _write(tmp_path, "partially_accepted/a.py", "# @EXPECTED_SCORE@: 50\n")
    assert expectation_for(path, tmp_path).score == 50


def test_unknown_names_are_clear_errors(tmp_path):
    with pytest.raises(Unverifiable, match="names no verdict"):
        expectation_for(_write(tmp_path, "mystery/a.c"), tmp_path)
    with pytest.raises(Unverifiable, match="unknown result name.*: PRESENTATION$"):
        expectation_for(_write(tmp_path, "mixed/b.c", "/* @EXPECTED_RESULTS@: PRESENTATION */"), tmp_path)


def test_tags_are_read_as_domjudge_reads_them(tmp_path):
    # Case-insensitive marker, the rest of the line, DOMjudge's aliases.
    path = _write(tmp_path, "mixed-verdicts/a.py", "# @expected_results@: run_time_error, NO_OUTPUT\n")
    assert expectation_for(path, tmp_path).verdicts == {Verdict.RUNTIME_ERROR, Verdict.WRONG_ANSWER}
    # A non-numeric @EXPECTED_SCORE@ is a results list (DOMjudge's boolfind).
    path = _write(tmp_path, "mixed-verdicts/b.py", "# @EXPECTED_SCORE@: CORRECT\n")
    assert expectation_for(path, tmp_path).verdicts == {Verdict.ACCEPTED}
    # Prose that merely mentions the marker without ": " is no tag.
    path = _write(tmp_path, "accepted/c.c", "/* several @EXPECTED_RESULTS@ tags are refused */\n")
    assert expectation_for(path, tmp_path).source == "folder"


def test_a_tag_that_includes_the_folder_narrows_to_the_folder(tmp_path):
    path = _write(tmp_path, "wrong_answer/a.c", "// @EXPECTED_RESULTS@: WRONG-ANSWER, TIMELIMIT\n")
    expectation = expectation_for(path, tmp_path)
    assert expectation.verdicts == {Verdict.WRONG_ANSWER} and expectation.source == "folder, within its tag"


@pytest.mark.parametrize("text, reason", [
    ("// @EXPECTED_RESULTS@: CHECK-MANUALLY\n", "a human decides"),
    ("// @EXPECTED_RESULTS@: CORRECT\n// @EXPECTED_RESULTS@: CORRECT\n", "more than one"),
    ("// @EXPECTED_RESULTS@: CORRECT\n// @EXPECTED_SCORE@: CORRECT\n", "more than one"),
])
def test_what_domjudge_refuses_or_leaves_to_a_human_is_not_verifiable(tmp_path, text, reason):
    with pytest.raises(Unverifiable, match=reason):
        expectation_for(_write(tmp_path, "check_manually/a.c", text), tmp_path)
