"""The engine believes no runner: a clean exit reported over the limits it set is not clean."""

from judge.engine import judge_submission
from judge.languages import LANGUAGES
from judge.problem import load_problem
from judge.runner import Artifact, CompileOutcome
from judge.sandbox.api import Observation, Outcome
from judge.verdict import Verdict
from tests.judge.problem.packages import cases, write_package


class Claims:
    """A runner (another execution environment) that reports whatever it is told to."""

    def __init__(self, cpu_ms: int, memory_kb: int):
        self.cpu_ms, self.memory_kb = cpu_ms, memory_kb

    def compile(self, language, source):
        return CompileOutcome(True, "", Artifact({"main": (0o755, b"x")}))

    def run(self, language, compiled, tests, limits, stop_at_failure=False):
        return [Observation(Outcome.OK, 0, None, self.cpu_ms, self.cpu_ms, self.memory_kb, stdout=b"3\n")
                for _ in tests]


def _problem(tmp_path):
    files = {"problem.yaml": "name: p\nlimits:\n  time_limit: 1\n  memory: 64\n", **cases("secret", ["1"])}
    files["data/secret/1.ans"] = "3\n"
    return load_problem(write_package(tmp_path / "p", files))


def test_reported_cpu_or_memory_over_the_limit_is_not_accepted(tmp_path):
    problem = _problem(tmp_path)
    judge = lambda runner: judge_submission(problem, LANGUAGES["c"], b"", runner).verdict  # noqa: E731
    assert judge(Claims(cpu_ms=200, memory_kb=1000)) == Verdict.ACCEPTED
    assert judge(Claims(cpu_ms=5000, memory_kb=1000)) == Verdict.TIME_LIMIT_EXCEEDED
    assert judge(Claims(cpu_ms=200, memory_kb=10 * 64 * 1024)) == Verdict.MEMORY_LIMIT_EXCEEDED
