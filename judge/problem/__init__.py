"""Problem packages in the Kattis / ICPC format (legacy and 2023-07-draft), as DOMjudge reads them."""

from judge.problem.loader import load_problem
from judge.problem.model import (
    LEGACY,
    V2023_07,
    GroupSettings,
    Problem,
    ProblemFormatError,
    ProblemLimits,
    TestCase,
    TestGroup,
)

__all__ = [
    "LEGACY",
    "V2023_07",
    "GroupSettings",
    "Problem",
    "ProblemFormatError",
    "ProblemLimits",
    "TestCase",
    "TestGroup",
    "load_problem",
]
