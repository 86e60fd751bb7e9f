"""The result of judging one submission: what the CLI prints and the workers publish (schema v1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from judge.verdict import Verdict

SCHEMA_VERSION = 1
FEEDBACK_LIMIT = 4096  # bytes of feedback kept per test (judgemessage.txt, teammessage.txt, our own reasons)


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class, despite the name

    name: str
    group: str
    verdict: Verdict
    time_ms: int  # CPU time (user + system)
    wall_ms: int
    memory_kb: int
    exit_code: int | None = None
    signal: int | None = None
    score: float | None = None
    feedback: str = ""
    # Sample mode only (their data is public): what the program printed and what was expected,
    # each cut at JudgeOptions.keep_output_bytes. Left out of the JSON when None.
    output: str | None = None
    expected_output: str | None = None
    output_truncated: bool | None = None


_SAMPLE_FIELDS = ("output", "expected_output", "output_truncated")


@dataclass
class SubmissionResult:
    verdict: Verdict
    language: str
    score: float | None = None
    time_ms: int = 0  # the slowest test's CPU time
    wall_ms: int = 0
    memory_kb: int = 0  # the largest peak over the tests
    compile_output: str = ""
    tests: list[TestResult] = field(default_factory=list)
    reason: str | None = None  # why, for JUDGE_ERROR and COMPILATION_ERROR
    problem: str = ""
    time_limit_ms: int = 0
    memory_limit_kb: int = 0
    judge: dict = field(default_factory=dict)  # engine version and sandbox mode
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        for test in data["tests"]:
            test["verdict"] = Verdict(test["verdict"]).value
            for key in _SAMPLE_FIELDS:
                if test[key] is None:
                    del test[key]
        return data
