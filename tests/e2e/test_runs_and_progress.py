"""End to end through the typed client, against the whole local stack: runs on custom input (one
that prints, one that times out, one that exceeds memory) through the same queue, dispatcher,
workers and sandbox functions as submissions; a sample-mode submission with its diff; and a
submission's server-sent events, live progress included, ending with its verdict."""

from __future__ import annotations

import pytest

from backend.client import ApiError, JudgeClient, Run
from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e

ECHO_SUM = "import sys\nnums = sys.stdin.read().split()\nprint(sum(map(int, nums)))\nprint('to stderr', file=sys.stderr)\n"


@pytest.fixture(scope="module")
def client(stack) -> JudgeClient:
    return JudgeClient(stack.api_url, stack.demo_token)


def test_a_run_prints_what_its_stdin_makes_it_print(client):
    run = client.run("python", ECHO_SUM, "1 2 39\n")
    assert (run.status, run.compiled, run.limit_verdict, run.exit_code) == ("DONE", True, None, 0), run
    assert (run.stdout, run.stderr) == ("42\n", "to stderr\n")
    assert not run.stdout_truncated and not run.stderr_truncated
    assert run.wall_ms >= run.cpu_ms >= 0 and run.memory_kb > 0
    assert run.limits == {"cpu_time_s": 2.0, "memory_mib": 256, "output_mib": 1}


def test_a_run_that_loops_is_stopped_at_its_cpu_limit(client):
    run = client.run("c", "int main(void) { for (;;) {} }\n")
    assert (run.status, run.compiled, run.limit_verdict) == ("DONE", True, "TIME_LIMIT_EXCEEDED"), run
    assert run.cpu_ms >= 1900, run  # the 2 s run limit, not the problems' 1 s


def test_a_run_that_hogs_memory_is_stopped_at_its_memory_limit(client):
    hog = (REPO / "problems/aplusb/submissions/memory_limit_exceeded/hog.cpp").read_text()
    run = client.run("cpp", hog)
    assert (run.status, run.compiled, run.limit_verdict) == ("DONE", True, "MEMORY_LIMIT_EXCEEDED"), run
    assert run.stdout == ""


def test_a_run_that_does_not_compile_says_why_and_runs_nothing(client):
    run = client.run("cpp", "int main() { return undeclared; }\n")
    assert (run.status, run.compiled, run.limit_verdict, run.exit_code) == ("DONE", False, None, None), run
    assert "undeclared" in run.compile_output


def test_a_run_answers_inline_when_it_ends_within_wait(client):
    started = client.start_run("python", "print('fast')\n", wait_s=10)
    assert isinstance(started, Run) and started.stdout == "fast\n", started
    again = client.get_run(started.run_id)
    assert again == started


def test_runs_refuse_bad_input_with_a_code(client):
    with pytest.raises(ApiError) as empty:
        client.start_run("python", "   \n")
    assert (empty.value.status, empty.value.code) == (422, "empty_source")
    with pytest.raises(ApiError) as large:
        client.start_run("python", "print(1)\n", "x" * (256 * 1024 + 1))
    assert (large.value.status, large.value.code) == (413, "stdin_too_large")
    with pytest.raises(ApiError) as other:
        client.get_run("00000000-0000-0000-0000-000000000000")
    assert (other.value.status, other.value.code) == (404, "not_found")


def test_a_sample_mode_submission_shows_each_samples_output_next_to_the_expected_one(client):
    off_by_one = "a, b = map(int, input().split())\nprint(a + b + 1)\n"
    accepted = client.submit("aplusb", "python", off_by_one, mode="samples")
    judged = client.wait(accepted.submission_id, timeout_s=240)
    sample = REPO / "problems/aplusb/data/sample"
    assert (judged.status, judged.mode, judged.verdict) == ("JUDGED", "samples", "WRONG_ANSWER"), judged
    assert [t["name"] for t in judged.tests] == ["sample/1"]  # data/secret is not judged
    [diff] = judged.samples
    assert (diff.name, diff.verdict, diff.output, diff.expected_output, diff.truncated) == (
        "sample/1", "WRONG_ANSWER", "4\n", (sample / "1.ans").read_text(), False)


def test_the_event_stream_shows_progress_and_ends_with_the_verdict(stack, client, monkeypatch, capsys, tmp_path):
    """20 tests, 16 to a sandbox call (the first 16 ride on the compile call), 0.5 s each: progress
    16/20 is news for the last four's 2 s. The package is uploaded for it (no example has 20 tests)."""
    from tests.e2e.test_problem_upload import tar_gz, token_of

    for name in [*stack.backend_env(), "DB_SECRET_ARN"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JUDGE_STACK_SETTINGS", str(stack.settings_path))
    setter = JudgeClient(stack.api_url, token_of(capsys, "setter-pia", "--admin"))
    package = tmp_path / "twenty"
    (package / "data" / "secret").mkdir(parents=True)
    (package / "problem.yaml").write_text("name: Twenty sums\nlimits:\n  time_limit: 2\n  memory: 256\n")
    for i in range(1, 21):
        (package / "data" / "secret" / f"{i:02d}.in").write_text(f"{i} {i}\n")
        (package / "data" / "secret" / f"{i:02d}.ans").write_text(f"{2 * i}\n")
    setter.upload_problem(tar_gz(package, "twenty-sums"))

    slow = "import time\ntime.sleep(0.5)\na, b = map(int, input().split())\nprint(a + b)\n"
    accepted = client.submit("twenty-sums", "python", slow)
    events = list(client.events(accepted.submission_id))
    states = [event.data for event in events]
    assert all(event.event == "state" for event in events), events
    assert states[-1]["status"] == "JUDGED" and states[-1]["verdict"] == "ACCEPTED", states
    assert {"status": "JUDGING", "tests_done": 16, "tests_total": 20, "verdict": None} in states, states
    assert client.get(accepted.submission_id).verdict == "ACCEPTED"


def test_the_demo_shows_a_run_a_sample_diff_and_a_live_progress_line(client, capsys):
    from local.demo import show_progress, show_run, show_samples

    show_run(client)
    show_samples(client)
    show_progress(client)
    out = capsys.readouterr().out
    assert "run (python, stdin '6 7'): DONE, stdout '42\\n', exit 0" in out, out
    assert "samples of aplusb (off by one): WRONG_ANSWER" in out and "got '4\\n'" in out, out
    live = [line for line in out.splitlines() if line.startswith("  live: ")]
    assert live[-1] == "  live: JUDGED ACCEPTED" and len(live) >= 2, out
