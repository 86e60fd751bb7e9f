"""Whether a problem fits the deployed timeouts, and how many tests one sandbox call may hold."""

from contracts.budget import CALL_MARGIN_S, PER_RUN_OVERHEAD_S, batch_capacity, misfit
from judge.problem import load_problem
from tests.judge.problem.packages import cases, write_package


def _problem(tmp_path, time_limit: float, tests: int):
    files = {"problem.yaml": f"name: p\nlimits:\n  time_limit: {time_limit}\n",
             **cases("secret", [str(i) for i in range(tests)])}
    return load_problem(write_package(tmp_path / f"p{time_limit}-{tests}", files))


def test_tests_per_call_follows_the_wall_limit():
    assert batch_capacity(3.0, 120) == int((120 - CALL_MARGIN_S) // (3.0 + PER_RUN_OVERHEAD_S))
    assert batch_capacity(200.0, 120) == 0


def test_a_problem_that_cannot_fit_is_refused_with_the_reason(tmp_path):
    assert misfit(_problem(tmp_path, 1, 20)) is None
    one_test = misfit(_problem(tmp_path, 60, 1))  # wall 121 s: no sandbox call of 120 s holds it
    assert one_test and "sandbox_timeout_seconds" in one_test
    many = misfit(_problem(tmp_path, 5, 60))  # 60 x 11.5 s over a 300 s worker
    assert many and "worker timeout" in many and "60 runs" in many
    assert misfit(_problem(tmp_path, 5, 60), worker_timeout_s=900) is None


def test_a_multi_pass_problem_counts_every_pass_it_allows(tmp_path):
    """Each pass has the whole limit: 10 tests of up to 26 passes at 3 s are 260 runs, not 10."""
    files = {"problem.yaml": "name: p\nvalidation: custom multi-pass\nlimits:\n  time_limit: 1\n  validation_passes: 26\n",
             **cases("secret", [str(i) for i in range(10)]), "output_validators/v/v.py": "import sys\nsys.exit(42)\n"}
    problem = load_problem(write_package(tmp_path / "mp", files))
    reason = misfit(problem)
    assert reason and "260 runs" in reason


def test_a_submission_is_stuck_only_after_every_invocation_could_have_run_to_its_end():
    from contracts.budget import stuck_after_s

    # dispatch + 3 invocations at the problem's worst case + Lambda's waits between them
    assert stuck_after_s(40.0, worker_timeout_s=300, worker_retries=2, retry_delays_s=180,
                         dispatch_margin_s=120) == 120 + 3 * 40 + 180
    # the worker timeout caps a run; an unknown worst case counts as the timeout
    assert stuck_after_s(1000.0, worker_timeout_s=300) == stuck_after_s(None, worker_timeout_s=300)
    assert stuck_after_s(None, worker_timeout_s=300, worker_retries=0, dispatch_margin_s=0) == 300
