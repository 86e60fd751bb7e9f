"""Output checking: the default validator, custom validators, and interactive wiring."""

from __future__ import annotations

from judge.checkers.base import FEEDBACK_LIMIT, CheckResult, OutputChecker
from judge.checkers.custom_validator import CustomValidator, ValidatorBuildError
from judge.checkers.default_validator import DefaultValidator
from judge.problem.model import Problem


def checker_for(problem: Problem) -> DefaultValidator | CustomValidator:
    """The problem's output checker: its custom validator if it has one, else the default one.

    For interactive problems this is the validator to hand to `interactive.run_interactive`.
    """
    if problem.custom_validation and problem.output_validator is not None:
        return CustomValidator(problem)
    return DefaultValidator(problem)


__all__ = [
    "FEEDBACK_LIMIT",
    "CheckResult",
    "CustomValidator",
    "DefaultValidator",
    "OutputChecker",
    "ValidatorBuildError",
    "checker_for",
]
