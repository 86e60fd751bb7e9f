"""load_problem: legacy and 2023-07 packages, limits, validation, the test tree, and bad packages."""

from __future__ import annotations

import math
import os

import pytest

from judge.problem import LEGACY, V2023_07, ProblemFormatError, load_problem
from tests.judge.problem.packages import cases, write_package


def legacy(tmp_path, problem_yaml="name: A plus B\n", **extra):
    files = {"problem.yaml": problem_yaml, **cases("sample", ["1", "2"]), **cases("secret", ["10", "2", "a"])}
    files.update(extra.pop("files", {}))
    return write_package(tmp_path / "aplusb", files)


def test_legacy_minimal(tmp_path):
    problem = load_problem(legacy(tmp_path))
    assert problem.name == "A plus B"
    assert problem.format_version == LEGACY
    assert not problem.is_scoring and not problem.is_interactive and not problem.custom_validation
    assert problem.output_validator is None
    # Legacy defaults: time_multiplier 5, safety margin 2, no time limit in the package.
    assert problem.limits.time_limit_s is None
    assert (problem.limits.time_multiplier, problem.limits.safety_margin) == (5.0, 2.0)
    assert problem.limits.memory_mib == 2048 and problem.limits.output_mib == 8


def test_judging_order_samples_first_then_lexicographic(tmp_path):
    root = legacy(tmp_path, files={**cases("secret/g2", ["1"]), **cases("secret/b", ["z"])})
    names = [t.name for t in load_problem(root).test_cases()]
    # Cases and groups interleave by base name: "10" < "2" < "a" < "b" < "g2".
    assert names == ["sample/1", "sample/2", "secret/10", "secret/2", "secret/a", "secret/b/z", "secret/g2/1"]
    problem = load_problem(root)
    test = problem.test_cases()[-1]
    assert test.group == "secret/g2"
    assert test.input_path.name == "1.in" and test.answer_path.name == "1.ans"
    assert [g.name for g in problem.groups()] == ["", "sample", "secret", "secret/b", "secret/g2"]


def test_2023_07_types_names_and_limits(tmp_path):
    root = write_package(tmp_path / "p", {
        "problem.yaml": """
            problem_format_version: 2023-07-draft
            uuid: 5ca406f4-d9d4-4b6b-bb1c-b6ddd0f5d2a7
            name: {en: Guess, sv: Gissa}
            type: [pass-fail, interactive]
            limits:
              time_limit: 2.5
              time_multipliers: {ac_to_time_limit: 3, time_limit_to_tle: 1.25}
              memory: 512
              output: 16
              validation_time: 5
            """,
        "output_validator/validator.py": "import sys\nsys.exit(42)\n",
        **cases("secret", ["1"], interactive=True),
    })
    problem = load_problem(root)
    assert problem.format_version == V2023_07
    assert problem.name == "Guess" and problem.names["sv"] == "Gissa"
    assert problem.is_interactive and not problem.is_scoring and problem.custom_validation
    assert problem.output_validator == root / "output_validator"
    assert problem.limits.time_limit_s == 2.5
    assert (problem.limits.time_multiplier, problem.limits.safety_margin) == (3.0, 1.25)
    assert (problem.limits.memory_mib, problem.limits.output_mib, problem.limits.validation_time_s) == (512, 16, 5)
    # Interactive tests may lack .ans.
    assert problem.test_cases()[0].answer_path is None


def test_2023_07_defaults(tmp_path):
    root = write_package(tmp_path / "p", {"problem.yaml": "problem_format_version: 2023-07-draft\nname: X\n",
                                          **cases("secret", ["1"])})
    limits = load_problem(root).limits
    assert (limits.time_multiplier, limits.safety_margin) == (2.0, 1.5)


def test_legacy_interactive_and_scoring_spellings(tmp_path):
    root = legacy(tmp_path, "type: scoring\nvalidation: custom interactive score\nvalidator_flags: a 'b c'\n",
                  files={"output_validators/v/v.py": "print()\n"})
    problem = load_problem(root)
    assert problem.is_scoring and problem.is_interactive and problem.custom_score
    assert problem.output_validator == root / "output_validators" / "v"
    assert problem.validator_flags == ("a", "b c")
    # Problem-wide flags come first, then the group's.
    assert problem.output_validator_flags(problem.test_cases()[0]) == ["a", "b c"]


def test_timelimit_file_and_problem_yaml_precedence(tmp_path):
    root = legacy(tmp_path, files={".timelimit": "3\n"})
    assert load_problem(root).limits.time_limit_s == 3.0
    (root / "problem.yaml").write_text("name: x\nlimits:\n  time_limit: 1.5\n")
    assert load_problem(root).limits.time_limit_s == 1.5


def test_validator_flags_per_group_and_per_case(tmp_path):
    root = legacy(tmp_path, "validator_flags: case_sensitive\n", files={
        "data/secret/testdata.yaml": "output_validator_flags: float_tolerance 1e-6\n",
        **cases("secret/exact", ["1"]),
        "data/secret/exact/testdata.yaml": "output_validator_flags: space_change_sensitive\n",
    })
    problem = load_problem(root)
    flags = {t.name: problem.output_validator_flags(t) for t in problem.test_cases()}
    assert flags["sample/1"] == ["case_sensitive"]
    assert flags["secret/a"] == ["case_sensitive", "float_tolerance", "1e-6"]
    assert flags["secret/exact/1"] == ["case_sensitive", "space_change_sensitive"]


def test_2023_07_validator_args_inherit_and_case_yaml_overrides(tmp_path):
    root = write_package(tmp_path / "p", {
        "problem.yaml": "problem_format_version: 2023-07-draft\nname: X\n",
        "data/secret/test_group.yaml": "output_validator_args: [float_tolerance, '0.1']\n",
        **cases("secret", ["1", "2"]),
        **cases("secret/sub", ["1"]),
        "data/secret/2.yaml": "output_validator_args: [case_sensitive]\n",
    })
    problem = load_problem(root)
    flags = {t.name: problem.output_validator_flags(t) for t in problem.test_cases()}
    assert flags == {"secret/1": ["float_tolerance", "0.1"], "secret/2": ["case_sensitive"],
                     "secret/sub/1": ["float_tolerance", "0.1"]}


def test_legacy_testdata_yaml_is_inherited_whole(tmp_path):
    root = legacy(tmp_path, "type: scoring\n", files={
        "data/secret/testdata.yaml": "on_reject: continue\ngrader_flags: first_error accept_if_any_accepted\n"
                                     "range: 0 100\naccept_score: 5\n",
        **cases("secret/g1", ["1"]),
        **cases("secret/g2", ["1"]),
        "data/secret/g2/testdata.yaml": "accept_score: 2\n",
    })
    problem = load_problem(root)
    g1, g2 = problem.group("secret/g1").settings, problem.group("secret/g2").settings
    assert g1.on_reject == "continue" and g1.accept_score == 5 and g1.score_range == (0, 100)
    # g2 has its own file: everything it does not say takes the defaults, not secret's values.
    assert g2.on_reject == "break" and g2.accept_score == 2 and g2.grader_flags == ()
    assert g2.score_range == (-math.inf, math.inf)
    # Legacy scoring without data/testdata.yaml: samples earn no points.
    assert problem.root_group.settings.grader_flags == ("ignore_sample",)
    assert problem.grading_style == LEGACY


def test_2023_07_scoring_settings(tmp_path):
    root = write_package(tmp_path / "p", {
        "problem.yaml": "problem_format_version: 2023-07-draft\nname: X\ntype: scoring\n",
        "data/secret/test_group.yaml": "scoring: {score: 60}\n",
        "data/secret/g1/test_group.yaml": "scoring: {score: 20, aggregation: min}\n",
        "data/secret/g2/test_group.yaml": "scoring: {score: unbounded, aggregation: sum}\n",
        **cases("secret/g1", ["1"]), **cases("secret/g2", ["1"]),
    })
    problem = load_problem(root)
    assert problem.grading_style == V2023_07
    assert problem.group("secret").settings.max_score == 60
    assert problem.group("secret/g1").settings.aggregation == "min"
    assert math.isinf(problem.group("secret/g2").settings.max_score)


def test_symlinked_test_files_resolve_inside_the_package(tmp_path):
    root = legacy(tmp_path, files={"shared/big.in": "5\n", "shared/big.ans": "5\n"})
    os.symlink(root / "shared/big.in", root / "data/secret/z.in")
    os.symlink("../../shared/big.ans", root / "data/secret/z.ans")
    test = load_problem(root).test_cases()[-1]
    assert test.name == "secret/z"
    assert test.input_path == root / "shared/big.in" and test.answer_path == root / "shared/big.ans"


def test_symlink_outside_the_package_is_refused(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("the answers\n")
    root = legacy(tmp_path)
    os.symlink(outside, root / "data/secret/evil.in")
    (root / "data/secret/evil.ans").write_text("x\n")
    with pytest.raises(ProblemFormatError, match=r"evil\.in: symlink points outside the package"):
        load_problem(root)


def test_symlinked_group_outside_the_package_is_refused(tmp_path):
    elsewhere = write_package(tmp_path / "elsewhere", cases("g", ["1"]))
    root = legacy(tmp_path)
    os.symlink(elsewhere / "data" / "g", root / "data/secret/g")
    with pytest.raises(ProblemFormatError, match="outside the package"):
        load_problem(root)


@pytest.mark.parametrize("files, message", [
    ({"data/secret/a.ans": None}, r"a\.ans: missing"),
    ({"data/secret/orphan.ans": "1\n"}, r"orphan\.ans: answer file without orphan\.in"),
    ({"problem.yaml": "name: [1, 2]\n"}, r"problem\.yaml: name: expected a string"),
    ({"problem.yaml": "type: golf\n"}, r"problem\.yaml: type: unknown \['golf'\]"),
    ({"problem.yaml": "problem_format_version: 2023-07-draft\nname: x\ntype: [pass-fail, scoring]\n"},
     r"type: pass-fail and scoring cannot be combined"),
    ({"problem.yaml": "problem_format_version: 2023-07-draft\nname: x\ntype: submit-answer\n"},
     r"type: submit-answer is not supported"),
    ({"problem.yaml": "problem_format_version: 2023-07-draft\nname: x\ntype: [multi-pass, interactive]\n"},
     r"interactive multi-pass problems are not supported"),
    ({"problem.yaml": "validation: custom multi-pass\n"}, r"validation: a custom .* needs a validator"),
    ({"problem.yaml": "validation: magic\n"}, r"validation: must start with default or custom"),
    ({"problem.yaml": "validation: custom\n"}, r"validation: a custom .* needs a validator"),
    ({"problem.yaml": "limits:\n  memory: lots\n"}, r"limits\.memory: expected a number"),
    ({"problem.yaml": "limits:\n  time_limit: -1\n"}, r"limits\.time_limit: must be a positive number"),
    ({"problem.yaml": "limits:\n  memory: 1.5\n"}, r"limits\.memory: must be an integer"),
    ({"problem.yaml": "problem_format_version: 1999\n"}, r"problem_format_version: unknown version"),
    ({"problem.yaml": "name: [unclosed\n"}, r"problem\.yaml: not valid YAML"),
    ({".timelimit": "fast\n"}, r"\.timelimit: time limit: expected a number"),
    ({"data/secret/testdata.yaml": "on_reject: maybe\n"}, r"testdata\.yaml: on_reject: must be break or continue"),
    ({"data/secret/testdata.yaml": "range: 5\n"}, r"testdata\.yaml: range: expected two numbers"),
    ({"data/secret/testdata.yaml": "grading: custom\n"}, r"grading: custom graders are not supported"),
    ({"data/secret/testdata.yaml": "scoring: {aggregation: max}\n"}, r"scoring\.aggregation: must be"),
    ({"data/secret/testdata.yaml": "x: 1\n", "data/secret/test_group.yaml": "x: 1\n"},
     r"both testdata\.yaml and test_group\.yaml"),
    ({"data/secret/testdata.yaml": "on_reject: continue\n", "data/secret/g/testdata.yaml": "scoring: {score: 5}\n",
      "data/secret/g/1.in": "1\n", "data/secret/g/1.ans": "1\n"}, r"mixed with 2023-07 `scoring:`"),
    ({"data/secret/a/1.in": "1\n", "data/secret/a/1.ans": "1\n"}, r"a test group and a test case share the name 'a'"),
])
def test_bad_packages_name_file_and_field(tmp_path, files, message):
    root = legacy(tmp_path)
    for name, content in files.items():
        path = root / name
        if content is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    with pytest.raises(ProblemFormatError, match=message):
        load_problem(root)


def test_missing_pieces(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_problem(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProblemFormatError, match=r"problem\.yaml: missing"):
        load_problem(tmp_path / "empty")
    root = write_package(tmp_path / "nodata", {"problem.yaml": "name: x\n", "data/sample/README": "none\n"})
    with pytest.raises(ProblemFormatError, match=r"data: no test cases"):
        load_problem(root)
    (root / "data/secret").mkdir()
    with pytest.raises(ProblemFormatError, match=r"data: no test cases"):
        load_problem(root)


def test_a_package_without_secret_data_is_judged_on_its_samples_with_a_warning(tmp_path):
    """DOMjudge judges every test case it imports, samples included: with no data/secret (its own
    `hello`), that is the samples."""
    root = write_package(tmp_path / "p", {"problem.yaml": "name: x\n", **cases("sample", ["1", "2"])})
    problem = load_problem(root)
    assert [t.name for t in problem.test_cases()] == ["sample/1", "sample/2"]
    assert len(problem.warnings) == 1 and "judged on data/sample alone" in problem.warnings[0]
    assert load_problem(legacy(tmp_path / "with-secret")).warnings == []


@pytest.mark.parametrize("yaml, passes", [
    ("validation: custom multi-pass\nlimits:\n  validation_passes: 26\n", 26),  # DOMjudge's spelling
    ("problem_format_version: 2023-07-draft\nname: x\ntype: multi-pass\n", 2),  # the format's default
])
def test_multi_pass_problems_load_with_their_pass_limit(tmp_path, yaml, passes):
    root = write_package(tmp_path / "p", {"problem.yaml": yaml, **cases("secret", ["1"]),
                                          "output_validators/v/v.py": "import sys\nsys.exit(42)\n",
                                          "output_validator/v.py": "import sys\nsys.exit(42)\n"})
    problem = load_problem(root)
    assert problem.is_multi_pass and problem.custom_validation and problem.limits.validation_passes == passes


def test_loose_validator_files_and_ambiguous_validators(tmp_path):
    root = legacy(tmp_path, "validation: custom\n", files={"output_validators/validate.cpp": "int main(){}\n",
                                                            "output_validators/validate.h": "\n"})
    assert load_problem(root).output_validator == root / "output_validators"
    root2 = legacy(tmp_path / "two", "validation: custom\n", files={"output_validators/a/a.py": "\n",
                                                                    "output_validators/b/b.py": "\n"})
    with pytest.raises(ProblemFormatError, match="exactly one output validator"):
        load_problem(root2)


def test_legacy_default_validation_ignores_output_validators(tmp_path):
    root = legacy(tmp_path, files={"output_validators/v/v.py": "\n"})
    problem = load_problem(root)
    assert not problem.custom_validation and problem.output_validator is None


def test_other_data_directories_are_not_judged(tmp_path):
    root = legacy(tmp_path, files={"data/invalid_input/x.in": "bad\n", "data/secret/.hidden.in": "x\n",
                                   "data/secret/1.files/extra.txt": "x\n"})
    assert all(t.name.startswith(("sample/", "secret/")) for t in load_problem(root).test_cases())
    assert "secret/.hidden" not in [t.name for t in load_problem(root).test_cases()]


def test_every_defect_is_reported_at_once(tmp_path):
    """A setter fixes a package in one round: independent checks all run, each defect on its own line."""
    root = write_package(tmp_path / "broken", {
        "problem.yaml": "problem_format_version: 1999\ntype: [pass-fail, nonsense]\n"
                        "limits:\n  memory: lots\n  time_limit: -2\ngrading: {objective: sideways}\n",
        **cases("sample", ["1"]), **cases("secret", ["a", "b"]),
        "data/secret/orphan.ans": "1\n",
        "data/secret/testdata.yaml": "on_reject: maybe\n",
    })
    (root / "data" / "secret" / "b.ans").unlink()
    with pytest.raises(ProblemFormatError) as caught:
        load_problem(root)
    found = [problem.removeprefix(f"{root}/") for problem in caught.value.problems]
    assert [f.split(":")[0] + ":" + f.split(":")[1] for f in found] == [
        "problem.yaml: problem_format_version", "problem.yaml: type", "data/secret/testdata.yaml: on_reject",
        "data/secret/orphan.ans: answer file without orphan.in", "data/secret/b.ans: missing (every test case needs an .ans next to its .in)",
        "problem.yaml: grading.objective", "problem.yaml: limits.memory", "problem.yaml: limits.time_limit",
    ]
    assert str(caught.value).splitlines() == list(caught.value.problems)


def test_a_missing_problem_yaml_does_not_hide_the_data_defects(tmp_path):
    root = write_package(tmp_path / "noyaml", {"data/secret/1.ans": "1\n"})
    with pytest.raises(ProblemFormatError) as caught:
        load_problem(root)
    assert [p.removeprefix(f"{root}/").split(":")[0] for p in caught.value.problems] == [
        "problem.yaml", "data/secret/1.ans", "data"]
