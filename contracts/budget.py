"""The time a submission may take, and whether a problem fits the deployed functions' timeouts.

One sandbox call (a compile, or a batch of runs) must end within the sandbox function's timeout, and
the whole judging (compile plus every test, in the worst case every test at its wall limit) within
the worker's. The worker sizes its batches by these numbers; `judge-admin import-problem` refuses a
problem whose worst case cannot fit, with the reason, instead of letting its submissions time out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from judge.engine import JudgeOptions, limits_for
from judge.problem import Problem
from judge.runner import COMPILE_LIMITS

CALL_MARGIN_S = 10.0  # per sandbox call: cold start, fetching inputs, the reply
PER_RUN_OVERHEAD_S = 0.5  # per test beyond its wall time: workdir, launcher, checking
DEFAULT_WORKER_TIMEOUT_S = 300.0  # terraform/variables.tf
DEFAULT_SANDBOX_TIMEOUT_S = 120.0
# The key under which `judge-admin import-problem` records worst_case(problem).total_s in the problem's
# limits (problems.limits_json), for the sweeper.
WORST_CASE_KEY = "worst_case_s"


@dataclass(frozen=True)
class WorstCase:
    compile_s: float
    per_test_s: float  # per run: a test of a multi-pass problem is up to validation_passes runs
    runs: int

    @property
    def total_s(self) -> float:
        return self.compile_s + CALL_MARGIN_S + self.runs * self.per_test_s


def worst_case(problem: Problem) -> WorstCase:
    limits = limits_for(problem, JudgeOptions())
    passes = problem.limits.validation_passes if problem.is_multi_pass else 1
    return WorstCase(COMPILE_LIMITS.wall_time_s, limits.wall_time_s + PER_RUN_OVERHEAD_S,
                     len(problem.test_cases()) * passes)


def batch_capacity(wall_time_s: float, call_budget_s: float) -> int:
    """How many tests, each at most `wall_time_s`, one call of `call_budget_s` can hold (0: none)."""
    room = call_budget_s - CALL_MARGIN_S
    return max(0, math.floor(room / (wall_time_s + PER_RUN_OVERHEAD_S)))


def misfit(problem: Problem, worker_timeout_s: float = DEFAULT_WORKER_TIMEOUT_S,
           sandbox_timeout_s: float = DEFAULT_SANDBOX_TIMEOUT_S) -> str | None:
    """Why the problem cannot be judged within these timeouts, or None when it can."""
    case = worst_case(problem)
    if case.compile_s + CALL_MARGIN_S > sandbox_timeout_s:
        return f"a compile may take {case.compile_s:g} s, over the sandbox timeout of {sandbox_timeout_s:g} s"
    if batch_capacity(case.per_test_s - PER_RUN_OVERHEAD_S, sandbox_timeout_s) == 0:
        return (f"one test may run {case.per_test_s - PER_RUN_OVERHEAD_S:g} s (wall limit), which does not fit "
                f"one sandbox call of {sandbox_timeout_s:g} s; lower the time limit or raise sandbox_timeout_seconds")
    if case.total_s > worker_timeout_s:
        return (f"{case.runs} runs at a wall limit of {case.per_test_s - PER_RUN_OVERHEAD_S:g} s may take "
                f"{case.total_s:.0f} s, over the worker timeout of {worker_timeout_s:g} s; lower the time limit, "
                f"use fewer tests or raise worker_timeout_seconds")
    return None


# Lambda retries a failed asynchronous invocation after about 1 and then 2 more minutes.
ASYNC_RETRY_DELAYS_S = 180.0
# Queue wait and dispatch before a worker starts: the submission queue's long poll, the dispatcher's
# batching window and cold start, with room for a short backlog.
DISPATCH_MARGIN_S = 120.0


def stuck_after_s(worst_case_s: float | None, worker_timeout_s: float = DEFAULT_WORKER_TIMEOUT_S,
                  worker_retries: int = 2, retry_delays_s: float = ASYNC_RETRY_DELAYS_S,
                  dispatch_margin_s: float = DISPATCH_MARGIN_S) -> float:
    """How long a submission may stay QUEUED or JUDGING before something has gone wrong: dispatch, then
    every invocation Lambda makes (the first and its retries), each at most the problem's worst case
    (never more than the worker timeout, which kills it), and the waits between them. `worst_case_s`
    is `worst_case(problem).total_s`, recorded at import; None (a problem imported before) counts as
    the worker timeout."""
    run_s = worker_timeout_s if worst_case_s is None else min(worst_case_s, worker_timeout_s)
    return dispatch_margin_s + (worker_retries + 1) * run_s + (retry_delays_s if worker_retries else 0.0)
