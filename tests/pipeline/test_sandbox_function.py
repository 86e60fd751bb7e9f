"""The sandbox function's handler with the real sandbox, and the LambdaRunner speaking to it."""

import base64
import gzip
import importlib
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from contracts.errors import SandboxInvokeError, SandboxProtocolError
from contracts.sandbox_protocol import (
    REPLY_KEY_ENV,
    RunReply,
    artifact_to_wire,
    limits_to_wire,
    observation_from_wire,
    open_sealed,
)
from judge import sandbox
from judge.languages import LANGUAGES
from judge.runner import TestInput
from judge.sandbox.api import Limits, Outcome
from pipeline import lambda_runner, sandbox_function
from pipeline.lambda_runner import LambdaRunner
from pipeline.sandbox_function import handle

ECHO_C = b'#include <stdio.h>\nint main(void){int c; while((c=getchar())!=EOF) putchar(c); return 0;}\n'


class InProcessLambda:
    """Calls the handler the way Lambda would: JSON in, JSON out."""

    def __init__(self):
        self.calls = []

    def invoke(self, FunctionName, InvocationType, Payload):
        request = json.loads(Payload)
        self.calls.append(request)
        body = json.dumps(handle(request)).encode()

        class Body:
            def read(self):
                return body

        return {"Payload": Body()}


@pytest.fixture
def input_server():
    served = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            data = served.get(self.path)
            self.send_response(200 if data is not None else 404)
            self.end_headers()
            self.wfile.write(data or b"")

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", served
    httpd.shutdown()


def test_compile_then_run_inline_and_url_inputs(input_server):
    base_url, served = input_server
    served["/big"] = b"from a presigned url\n"
    compiled = handle({"version": 1, "action": "compile", "language": "c",
                       "source_b64": base64.b64encode(ECHO_C).decode()})
    assert compiled["ok"] and compiled["artifact_b64"]
    response = handle({
        "version": 1, "action": "run", "language": "c", "artifact_b64": compiled["artifact_b64"],
        "limits": limits_to_wire(Limits()),
        "tests": [{"name": "a", "input_b64": base64.b64encode(b"inline\n").decode()},
                  {"name": "b", "input_url": f"{base_url}/big"}],
    })
    observations = [observation_from_wire(o) for o in response["observations"]]
    assert [o.stdout for o in observations] == [b"inline\n", b"from a presigned url\n"]
    assert all(o.outcome == Outcome.OK for o in observations)


def test_bad_requests_are_answered_not_raised():
    assert "unknown language" in handle({"version": 1, "action": "compile", "language": "x", "source_b64": ""})["error"]
    assert "version" in handle({"version": 9})["error"]


def test_lambda_runner_batches_to_fit_the_payload_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(lambda_runner, "MAX_REQUEST_BYTES", 4000)
    tests = []
    for i in range(6):
        path = tmp_path / f"{i}.in"
        path.write_bytes(bytes([65 + i]) * 1500 + b"\n")
        tests.append(TestInput(str(i), path))
    client = InProcessLambda()
    runner = LambdaRunner(client, "sandbox")
    compiled = runner.compile(LANGUAGES["c"], ECHO_C)
    observations = runner.run(LANGUAGES["c"], compiled, tests, Limits())
    assert [o.stdout for o in observations] == [Path(t.input_path).read_bytes() for t in tests]
    assert len(client.calls) > 2  # one compile and several run batches
    assert all(len(json.dumps(call)) < 4000 + len(artifact_to_wire(compiled.artifact)) + 2048 for call in client.calls)


def test_the_result_names_the_mode_the_sandbox_function_ran_the_code_in():
    runner = LambdaRunner(InProcessLambda(), "sandbox")
    assert runner.describe() == "lambda"  # nothing reported yet
    runner.compile(LANGUAGES["c"], ECHO_C)
    assert runner.describe() == f"lambda/{sandbox.isolation_mode()}"


KEY = b"k" * 40


class Meddled(InProcessLambda):
    """The real handler, except that for the test named `culprit` the reply is replaced the way a
    program in the sandbox could: its own reply through the Runtime API, or the runtime killed."""

    def __init__(self, culprit: str, how: str):
        super().__init__()
        self.culprit, self.how = culprit, how

    def invoke(self, FunctionName, InvocationType, Payload):
        request = json.loads(Payload)
        names = [t["name"] for t in request.get("tests") or request.get("then_run", {}).get("tests", [])]
        if self.culprit not in names:
            return super().invoke(FunctionName, InvocationType, Payload)
        self.calls.append(request)
        if self.how == "killed":
            body, error = json.dumps({"errorType": "Runtime.ExitError",
                                      "errorMessage": "Runtime exited with error: signal: killed"}), "Unhandled"
        else:  # a well-formed, unsealed reply saying every test passed in no time
            forged = {"outcome": "OK", "exit_code": 0, "signal": None, "cpu_ms": 1, "wall_ms": 1, "memory_kb": 1,
                      "detail": "", "stderr_b64": "", "stdout_gz_b64": base64.b64encode(gzip.compress(b"42\n")).decode()}
            body, error = json.dumps({"version": 1, "observations": [forged] * len(names)}), None

        class Body:
            def read(self):
                return body.encode()

        return {"Payload": Body(), **({"FunctionError": error} if error else {})}


@pytest.fixture
def keyed(monkeypatch):
    monkeypatch.setattr(sandbox_function, "_REPLY_KEY", KEY)


def _tests(tmp_path, n=3):
    out = []
    for i in range(n):
        path = tmp_path / f"{i}.in"
        path.write_bytes(f"input {i}\n".encode())
        out.append(TestInput(str(i), path))
    return out


def test_replies_are_sealed_and_the_worker_opens_only_sealed_ones(tmp_path, keyed):
    runner = LambdaRunner(InProcessLambda(), "sandbox", reply_key=KEY)
    compiled = runner.compile(LANGUAGES["c"], ECHO_C)
    observations = runner.run(LANGUAGES["c"], compiled, _tests(tmp_path), Limits())
    assert [o.stdout for o in observations] == [b"input 0\n", b"input 1\n", b"input 2\n"]
    sealed = handle({"version": 1, "action": "self_test", "language": "c", "nonce": "n" * 32})
    assert set(sealed) == {"version", "sealed", "mac"}
    assert open_sealed(sealed, KEY, "n" * 32)["ok"] is True
    with pytest.raises(SandboxProtocolError, match="seal does not match"):
        open_sealed(sealed, KEY, "another nonce, another call")  # a genuine reply, replayed
    with pytest.raises(SandboxInvokeError, match="not sealed"):
        LambdaRunner(InProcessLambda(), "sandbox", reply_key=b"x" * 40)._invoke({"version": 9})


@pytest.mark.parametrize("how", ["forged", "killed"])
def test_interference_is_the_culprits_runtime_error_and_nobody_elses(tmp_path, keyed, how):
    client = Meddled("1", how)
    runner = LambdaRunner(client, "sandbox", reply_key=KEY)
    compiled = runner.compile(LANGUAGES["c"], ECHO_C)
    observations = runner.run(LANGUAGES["c"], compiled, _tests(tmp_path), Limits())
    assert [o.outcome for o in observations] == [Outcome.OK, Outcome.RUNTIME_ERROR, Outcome.OK]
    assert "interfered with its sandbox" in observations[1].detail
    assert observations[0].stdout == b"input 0\n" and observations[2].stdout == b"input 2\n"
    assert len(client.calls) == 5  # compile, the batch, test 0 alone, test 1 alone, test 2 (the rest)


def test_the_reply_key_never_stays_in_the_environment(monkeypatch):
    monkeypatch.setenv(REPLY_KEY_ENV, "s" * 40)
    module = importlib.reload(sandbox_function)
    try:
        assert REPLY_KEY_ENV not in os.environ and module._REPLY_KEY == b"s" * 40
    finally:
        monkeypatch.delenv(REPLY_KEY_ENV, raising=False)
        importlib.reload(sandbox_function)


@pytest.mark.parametrize("field, value, reason", [
    ("cpu_ms", 2**40, "cpu_ms"), ("exit_code", "0", "exit_code"), ("signal", 999, "signal"),
    ("memory_kb", True, "memory_kb"), ("outcome", "FINE", "outcome"),
    ("stdout_gz_b64", base64.b64encode(gzip.compress(b"\0" * (2 << 20))).decode(), "decompressed"),
])
def test_a_reply_out_of_bounds_is_refused(field, value, reason):
    wire = {"outcome": "OK", "exit_code": 0, "signal": None, "cpu_ms": 1, "wall_ms": 1, "memory_kb": 1,
            "detail": "", "stderr_b64": "", "stdout_gz_b64": base64.b64encode(gzip.compress(b"")).decode()}
    with pytest.raises(SandboxProtocolError, match=reason):
        RunReply.from_wire({"version": 1, "observations": [{**wire, field: value}]}, max_stdout=1 << 20)


def test_batches_fit_the_sandbox_timeout_and_the_time_left(tmp_path):
    from contracts.errors import OutOfTime

    client = InProcessLambda()
    runner = LambdaRunner(client, "sandbox", sandbox_timeout_s=30)
    compiled = runner.compile(LANGUAGES["c"], ECHO_C)
    limits = Limits(cpu_time_s=2, wall_time_s=5)  # 3 per call: (30 - 10) // (5 + 0.5)
    assert len(runner.run(LANGUAGES["c"], compiled, _tests(tmp_path, 7), limits)) == 7
    assert [len(call["tests"]) for call in client.calls[1:]] == [3, 3, 1]
    runner.remaining_s = lambda: 12.0  # a worker invocation about to end: not even one test fits
    with pytest.raises(OutOfTime, match="cannot hold another test"):
        runner.run(LANGUAGES["c"], compiled, _tests(tmp_path, 1), limits)


@pytest.fixture
def layer_root(tmp_path, monkeypatch):
    """An empty layer root that tests fill with tools of their own (found before the host's)."""
    from judge import toolchain

    monkeypatch.setenv("JUDGE_LAYER_ROOT", str(tmp_path))
    toolchain.resolve_tool.cache_clear()
    toolchain.version_of.cache_clear()
    yield tmp_path
    toolchain.resolve_tool.cache_clear()
    toolchain.version_of.cache_clear()


def _tool(root: Path, relative: str, script: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def test_the_cold_start_compiles_nothing_for_java_and_proves_both_of_its_tools_load(monkeypatch):
    from judge.runner import LocalRunner

    def no_compile(*args, **kwargs):
        raise AssertionError("a Java compile at cold start costs a JVM start")

    monkeypatch.setattr(LocalRunner, "compile", no_compile)
    monkeypatch.setenv("JUDGE_LANGUAGES", "java")
    sandbox_function.init_check()
    report = sandbox_function.cold_start_check(LANGUAGES["java"])
    assert report.ok and "openjdk" in report.detail.lower() and "javac" in report.detail, report


def test_a_jdk_layer_whose_java_cannot_load_fails_the_cold_start(layer_root, monkeypatch):
    # javac answers its version, java does not: what a JDK built against a newer glibc does in Lambda.
    _tool(layer_root, "jdk/bin/javac", "echo javac 17.0.99\n")
    _tool(layer_root, "jdk/bin/java", "echo 'java: /lib64/libc.so.6: version `GLIBC_2.36` not found' >&2; exit 1\n")
    monkeypatch.setenv("JUDGE_LANGUAGES", "java")
    with pytest.raises(RuntimeError, match=r"java exited 1: java: .*GLIBC_2\.36"):
        sandbox_function.init_check()


def test_a_gcc_layer_that_cannot_compile_fails_the_cold_start(layer_root, monkeypatch):
    # The driver answers --version; the compiler proper it runs does not (cc1plus needs GLIBC_2.36).
    _tool(layer_root, "gcc/bin/g++", 'case "$1" in --version) echo "g++ 12.2.0";; '
          '*) echo "cc1plus: GLIBC_2.36 not found" >&2; exit 1;; esac\n')
    monkeypatch.setenv("JUDGE_LANGUAGES", "cpp")
    with pytest.raises(RuntimeError, match="cold-start check of cpp failed: compilation failed: cc1plus: GLIBC"):
        sandbox_function.init_check()


CRASH_ON_2 = (b'#include <stdio.h>\n#include <stdlib.h>\nint main(void){int n; if(scanf("%d",&n)!=1) return 1;'
              b' if(n==2) abort(); printf("%d\\n", n); return 0;}\n')


def _numbered(tmp_path, n):
    tests = []
    for i in range(1, n + 1):
        path = tmp_path / f"{i}.in"
        path.write_text(f"{i}\n")
        tests.append(TestInput(str(i), path))
    return tests


@pytest.mark.parametrize("stop", [True, False])
def test_a_batch_ends_at_its_first_failing_run_only_when_judging_would(tmp_path, stop):
    client = InProcessLambda()
    runner = LambdaRunner(client, "sandbox")
    compiled = runner.compile(LANGUAGES["c"], CRASH_ON_2)
    observations = runner.run(LANGUAGES["c"], compiled, _numbered(tmp_path, 5), Limits(), stop_at_failure=stop)
    outcomes = [o.outcome for o in observations]
    assert outcomes == ([Outcome.OK, Outcome.RUNTIME_ERROR] if stop
                        else [Outcome.OK, Outcome.RUNTIME_ERROR, Outcome.OK, Outcome.OK, Outcome.OK])
    runs = [call for call in client.calls if call["action"] == "run"]
    assert len(runs) == 1 and len(runs[0]["tests"]) == 5  # one call; the sandbox stopped inside it


def test_judging_stops_the_sandbox_at_the_first_failure_but_a_scoring_problem_runs_every_test(tmp_path):
    from judge.engine import JudgeOptions, judge_submission
    from judge.problem import load_problem
    from judge.verdict import Verdict
    from tests.judge.problem.packages import cases, write_package

    def package(name, yaml):
        files = {"problem.yaml": yaml, **cases("secret", ["1", "2", "3", "4"])}  # n in, n out
        return load_problem(write_package(tmp_path / name, files))

    pass_fail = package("pf", "name: p\n")
    scoring = package("sc", "name: s\ntype: scoring\n")
    for problem, runs_expected in ((pass_fail, 2), (scoring, 4)):
        client = InProcessLambda()
        result = judge_submission(problem, LANGUAGES["c"], CRASH_ON_2, LambdaRunner(client, "sandbox"),
                                  JudgeOptions(batch_size=16))
        [call] = client.calls  # the runs rode on the compile call
        assert call["action"] == "compile" and len(call["then_run"]["tests"]) == 4
        assert call["then_run"].get("stop_at_failure", False) is (problem is pass_fail)
        assert result.verdict == Verdict.RUNTIME_ERROR and len(result.tests) == runs_expected, result


def _aplusb_like(tmp_path, n=20):
    from judge.problem import load_problem
    from tests.judge.problem.packages import cases, write_package

    names = [f"{i:02d}" for i in range(1, n + 1)]
    return load_problem(write_package(tmp_path / "echo", {"problem.yaml": "name: echo\n", **cases("secret", names)}))


def test_the_first_batch_rides_on_the_compile_call_and_the_rest_follow(tmp_path):
    from judge.engine import JudgeOptions, judge_submission
    from judge.verdict import Verdict

    problem = _aplusb_like(tmp_path)
    client, seen = InProcessLambda(), []
    result = judge_submission(problem, LANGUAGES["c"], ECHO_C, LambdaRunner(client, "sandbox"),
                              JudgeOptions(batch_size=16, tests_done=lambda done, total: seen.append((done, total))))
    assert result.verdict == Verdict.ACCEPTED and len(result.tests) == 20, result.reason
    assert seen == [(16, 20), (20, 20)]  # no "0 done" once the first 16 are in: it would only hide them
    tests_per_call = [(c["action"], len((c["then_run"] if c["action"] == "compile" else c)["tests"]))
                      for c in client.calls]
    assert tests_per_call == [("compile", 16), ("run", 4)]


def test_a_compile_error_runs_nothing_and_a_cached_program_runs_in_a_call_of_its_own(tmp_path):
    from judge.engine import JudgeOptions, judge_submission
    from judge.verdict import Verdict
    from pipeline.compile_cache import CompileCache

    problem = _aplusb_like(tmp_path, 3)
    client = InProcessLambda()
    runner = LambdaRunner(client, "sandbox", compile_cache=CompileCache(tmp_path / "compiled", "build"))
    options = JudgeOptions(batch_size=16)
    assert judge_submission(problem, LANGUAGES["c"], b"int main( {", runner, options).verdict == Verdict.COMPILATION_ERROR
    assert [c["action"] for c in client.calls] == ["compile"]
    client.calls.clear()
    for _ in range(2):
        assert judge_submission(problem, LANGUAGES["c"], ECHO_C, runner, options).verdict == Verdict.ACCEPTED
    assert [c["action"] for c in client.calls] == ["compile", "run"]  # the second compile came from the cache
    [entry] = (tmp_path / "compiled").iterdir()
    assert "ran" not in json.loads(entry.read_text())  # the runs of one submission are never cached


def test_a_compile_call_whose_runs_are_interfered_with_is_compiled_again_and_run_test_by_test(tmp_path, keyed):
    from judge.engine import JudgeOptions, judge_submission
    from judge.verdict import Verdict

    problem = _aplusb_like(tmp_path, 3)
    client = Meddled(problem.test_cases()[1].name, "killed")  # the handler dies while running the second test
    result = judge_submission(problem, LANGUAGES["c"], ECHO_C, LambdaRunner(client, "sandbox", reply_key=KEY),
                              JudgeOptions(batch_size=16, run_all_tests=True))
    assert [t.verdict for t in result.tests] == [Verdict.ACCEPTED, Verdict.RUNTIME_ERROR, Verdict.ACCEPTED]
    # compile with the runs (killed), compile alone, the three (killed), then one test per call
    assert [c["action"] for c in client.calls] == ["compile", "compile", "run", "run", "run", "run"]


class Wrecked(InProcessLambda):
    """The first `broken` calls meet a runtime that died (the program's doing in an earlier run)."""

    def __init__(self, broken: int):
        super().__init__()
        self.broken = broken

    def invoke(self, FunctionName, InvocationType, Payload):
        if self.broken <= 0:
            return super().invoke(FunctionName, InvocationType, Payload)
        self.broken -= 1
        self.calls.append(json.loads(Payload))
        body = json.dumps({"errorType": "Runtime.ExitError", "errorMessage": "signal: killed"}).encode()

        class Body:
            def read(self):
                return body

        return {"Payload": Body(), "FunctionError": "Unhandled"}


@pytest.mark.parametrize("broken", [2, 3, 6])
def test_a_compile_after_interference_is_tried_again_while_the_interfering_batch_may_run(tmp_path, keyed,
                                                                                       monkeypatch, broken):
    """The combined call and the next `broken - 1` plain compiles meet a runtime the program killed,
    or an invocation one of its runs took (the batch goes on after its reply was forged): the compile
    is tried again for as long as that batch could run, then the runs go on their own."""
    from judge.engine import JudgeOptions, judge_submission
    from judge.verdict import Verdict

    monkeypatch.setattr(lambda_runner, "COMPILE_RETRY_PAUSE_S", 0.01)
    problem = _aplusb_like(tmp_path, 3)
    client = Wrecked(broken)
    result = judge_submission(problem, LANGUAGES["c"], ECHO_C, LambdaRunner(client, "sandbox", reply_key=KEY),
                              JudgeOptions(batch_size=16))
    assert result.verdict == Verdict.ACCEPTED, result.reason
    assert [c["action"] for c in client.calls] == ["compile"] * (broken + 1) + ["run"]


def test_a_compile_that_keeps_meeting_interference_past_its_patience_fails_the_call(keyed, monkeypatch):
    monkeypatch.setattr(lambda_runner, "COMPILE_RETRY_PAUSE_S", 0.01)
    client = Wrecked(1000)
    with pytest.raises(SandboxInvokeError, match="runtime died"):
        LambdaRunner(client, "sandbox", reply_key=KEY)._compile_alone(LANGUAGES["c"], ECHO_C, patience_s=0.1)
    assert lambda_runner.COMPILE_ATTEMPTS <= len(client.calls) < 1000


def test_a_warm_up_starts_an_environment_runs_nothing_and_the_first_call_waits_for_it(tmp_path, keyed, monkeypatch):
    """The worker's INIT sends a warm-up, so the sandbox's cold start overlaps its own; the first real
    call waits for that warm-up rather than racing it into a second cold environment."""
    order = []
    arrived = threading.Event()

    class Slow(InProcessLambda):
        def invoke(self, FunctionName, InvocationType, Payload):
            action = json.loads(Payload)["action"]
            order.append(f"{action} sent")
            if action == "warm_up":
                arrived.wait(5)  # still cold when the first submission's compile is ready
            response = super().invoke(FunctionName, InvocationType, Payload)
            order.append(f"{action} answered")
            return response

    compiles, real_compile = [], sandbox_function.compile_in_sandbox
    monkeypatch.setattr(sandbox_function, "compile_in_sandbox",
                        lambda *a, **k: compiles.append(a[0].name) or real_compile(*a, **k))
    runner = LambdaRunner(Slow(), "sandbox", reply_key=KEY)
    runner.start_warm_up("c")
    threading.Timer(0.3, arrived.set).start()
    compiled = runner.compile(LANGUAGES["c"], ECHO_C)
    assert compiled.ok
    assert order == ["warm_up sent", "warm_up answered", "compile sent", "compile answered"]
    assert compiles == ["c"]  # the submission's compile; the warm-up ran nothing
    assert runner.calls == 1  # and is no submission's call, nor in its billed record
    sealed = handle({"version": 1, "action": "warm_up", "language": "c", "nonce": "w" * 32})
    assert open_sealed(sealed, KEY, "w" * 32) == {"version": 1, "warm": True}  # sealed like every reply


def test_a_failed_warm_up_is_a_log_line_and_the_first_call_goes_ahead(caplog):
    class Refusing(InProcessLambda):
        def invoke(self, FunctionName, InvocationType, Payload):
            if json.loads(Payload)["action"] == "warm_up":
                raise ConnectionError("no route to the sandbox function yet")
            return super().invoke(FunctionName, InvocationType, Payload)

    runner = LambdaRunner(Refusing(), "sandbox")
    runner.start_warm_up("c")
    compiled = runner.compile(LANGUAGES["c"], ECHO_C)
    assert compiled.ok and "sandbox warm-up failed: no route to the sandbox function yet" in caplog.text


def test_a_warm_up_that_never_answers_holds_the_first_call_back_no_longer_than_a_cold_start(monkeypatch):
    hung = threading.Event()

    class Frozen(InProcessLambda):
        def invoke(self, FunctionName, InvocationType, Payload):
            if json.loads(Payload)["action"] == "warm_up":
                hung.wait(10)  # an environment initialized ahead of use, frozen mid-call
            return super().invoke(FunctionName, InvocationType, Payload)

    monkeypatch.setattr(lambda_runner, "WARM_UP_WAIT_S", 0.3)
    runner = LambdaRunner(Frozen(), "sandbox")
    runner.start_warm_up("c")
    try:
        assert runner.compile(LANGUAGES["c"], ECHO_C).ok
        assert runner._warm_up is None and not hung.is_set()  # went ahead while the warm-up hung
    finally:
        hung.set()
