"""What every output checker returns, and the interface the engine calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from judge.problem.model import TestCase
from judge.result import FEEDBACK_LIMIT
from judge.verdict import Verdict

# Files a validator may write in its feedback directory (the format's, DOMjudge's and problemtools');
# the ones read back from a validator that ran elsewhere (the sandbox function), each up to
# FEEDBACK_READ_LIMIT bytes.
FEEDBACK_FILES = ("judgemessage.txt", "teammessage.txt", "score.txt", "score_multiplier.txt",
                  "judgeerror.txt", "diffposition.txt", "nextpass.in")
FEEDBACK_READ_LIMIT = 64 << 10


@dataclass
class CheckResult:
    """ACCEPTED, WRONG_ANSWER or JUDGE_ERROR for a normal check; `run_interactive` may also report
    the submission's own failure (TIME_LIMIT_EXCEEDED, RUNTIME_ERROR, ...) here, see interactive.py."""

    verdict: Verdict
    score: float | None = None  # from score.txt (or score_multiplier.txt x the test's maximum)
    feedback: str = ""  # for judges: judgemessage.txt, or the default validator's diff message
    team_message: str = ""  # teammessage.txt, safe to show the submitter

    @classmethod
    def judge_error(cls, reason: str) -> CheckResult:
        return cls(Verdict.JUDGE_ERROR, None, truncate(reason))


class OutputChecker(Protocol):
    def check(self, test: TestCase, team_output: bytes, flags: Sequence[str] | None = None) -> CheckResult:
        """Judge `team_output` for `test`; `flags` default to the test's output validator flags."""
        ...


def truncate(text: str | bytes, limit: int = FEEDBACK_LIMIT) -> str:
    """At most `limit` bytes of UTF-8, never failing on binary input."""
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    if len(data) <= limit:
        return data.decode("utf-8", "replace")
    return data[:limit].decode("utf-8", "ignore") + "\n[truncated]"
