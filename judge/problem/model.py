"""The problem package as the engine sees it: limits, validation, and the tree of test groups.

One model for both format versions (legacy and 2023-07-draft); `judge.problem.loader` maps each
version's spelling onto it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

LEGACY = "legacy"
V2023_07 = "2023-07-draft"


class ProblemFormatError(ValueError):
    """The package does not follow the format; each of `problems` names the file and the field.

    The loader reports every defect it finds in one error (a setter fixes them in one round), one per
    line of the message."""

    def __init__(self, message: str | None = None, problems: list[str] | tuple[str, ...] | None = None):
        self.problems: tuple[str, ...] = tuple(problems) if problems else (message or "",)
        super().__init__(message if message is not None else "\n".join(self.problems))


@dataclass(frozen=True)
class ProblemLimits:
    """Limits from `problem.yaml` (`limits:`) and DOMjudge's `.timelimit`.

    `time_limit_s` is None when the package gives none: the caller derives it from the accepted
    submissions (`time_multiplier` x slowest AC, rounded up to `time_resolution_s`).
    """

    time_limit_s: float | None = None
    time_multiplier: float = 5.0  # legacy time_multiplier / 2023-07 time_multipliers.ac_to_time_limit
    safety_margin: float = 2.0  # legacy time_safety_margin / 2023-07 time_multipliers.time_limit_to_tle
    time_resolution_s: float = 1.0
    memory_mib: int = 2048
    output_mib: int = 8
    code_kib: int = 128
    compilation_time_s: float = 60
    compilation_memory_mib: int = 2048
    validation_time_s: float = 60
    validation_memory_mib: int = 2048
    validation_output_mib: int = 8
    validation_passes: int = 2  # multi-pass: most runs per test case (the 2023-07 default; DOMjudge's too)


@dataclass(frozen=True)
class GroupSettings:
    """The effective settings of one test group, after inheritance.

    Legacy keys (`testdata.yaml`): on_reject, grading, grader_flags, accept_score, reject_score, range.
    2023-07 keys (`scoring:` in `testdata.yaml` / `test_group.yaml`): score, aggregation.
    """

    on_reject: str = "break"  # "break" | "continue"
    grading: str = "default"  # "default" | "custom" (custom graders are refused by the loader)
    grader_flags: tuple[str, ...] = ()
    accept_score: float = 1.0
    reject_score: float = 0.0
    score_range: tuple[float, float] = (-math.inf, math.inf)
    output_validator_flags: tuple[str, ...] = ()
    input_validator_flags: str | dict = ""
    # 2023-07 `scoring:`; None when the group does not say (defaults depend on the group's place).
    max_score: float | None = None  # math.inf for `unbounded`
    aggregation: str | None = None  # "pass-fail" | "sum" | "min"


@dataclass
class TestCase:
    __test__ = False  # not a pytest class, whatever its name

    name: str  # relative to data/, without extension: "secret/group1/003"
    input_path: Path
    answer_path: Path | None  # None only for interactive problems without .ans
    group: str  # the name of the group that holds it: "secret/group1"
    output_validator_flags: tuple[str, ...] = ()  # effective: problem + group + test case

    @property
    def is_sample(self) -> bool:
        return self.name.startswith("sample/")


@dataclass
class TestGroup:
    __test__ = False

    name: str  # "" for data/ itself, then "sample", "secret", "secret/group1"
    path: Path
    settings: GroupSettings
    items: list[TestCase | TestGroup] = field(default_factory=list)  # judging order
    has_config: bool = False  # a testdata.yaml / test_group.yaml sits in this directory

    @property
    def cases(self) -> list[TestCase]:
        return [item for item in self.items if isinstance(item, TestCase)]

    @property
    def subgroups(self) -> list[TestGroup]:
        return [item for item in self.items if isinstance(item, TestGroup)]

    def all_cases(self) -> Iterator[TestCase]:
        for item in self.items:
            if isinstance(item, TestGroup):
                yield from item.all_cases()
            else:
                yield item

    def all_groups(self) -> Iterator[TestGroup]:
        yield self
        for sub in self.subgroups:
            yield from sub.all_groups()

    def find(self, name: str) -> TestGroup | None:
        return next((g for g in self.all_groups() if g.name == name), None)

    @property
    def output_validator_flags(self) -> tuple[str, ...]:
        return self.settings.output_validator_flags


@dataclass
class Problem:
    root: Path
    name: str  # the English name, else the first one given
    names: dict[str, str]
    format_version: str  # LEGACY | V2023_07
    is_scoring: bool
    is_interactive: bool
    limits: ProblemLimits
    validator_flags: tuple[str, ...]  # legacy problem.yaml `validator_flags` (applies to every test)
    custom_validation: bool
    custom_score: bool  # the custom validator writes score.txt (legacy `validation: custom score`)
    output_validator: Path | None  # directory (or single file) of the custom output validator
    root_group: TestGroup
    grading_style: str = LEGACY  # which aggregation rules apply: LEGACY (graders) or V2023_07 (scoring:)
    objective: str = "max"  # legacy grading.objective
    uuid: str | None = None
    is_multi_pass: bool = False  # the validator may ask for another run on its nextpass.in
    languages: frozenset[str] | None = None  # problem.yaml `languages`, as our names; None: every one
    warnings: list[str] = field(default_factory=list)  # what was judged leniently, for the setter

    def allows(self, language) -> bool:
        """Whether submissions in `language` (a judge.languages.Language) are taken."""
        return self.languages is None or language.name in self.languages

    @property
    def is_pass_fail(self) -> bool:
        return not self.is_scoring

    def test_cases(self) -> list[TestCase]:
        """Every test in judging order: data/sample first, then data/secret, lexicographic inside."""
        return list(self.root_group.all_cases())

    def groups(self) -> list[TestGroup]:
        return list(self.root_group.all_groups())

    def group(self, name: str) -> TestGroup:
        found = self.root_group.find(name)
        if found is None:
            raise KeyError(name)
        return found

    def output_validator_flags(self, test: TestCase) -> list[str]:
        """The arguments after `input answer feedback_dir` for this test (and the default validator's flags)."""
        return list(test.output_validator_flags)

    def max_score(self) -> float | None:
        """The best score a submission can get, or None for pass-fail problems."""
        if not self.is_scoring:
            return None
        from judge.problem.grading import max_score

        return max_score(self)
