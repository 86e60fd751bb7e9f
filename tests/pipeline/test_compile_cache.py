"""The worker's compile cache: the same source is compiled once per sandbox build, never trusted blindly."""

import json

import pytest

from contracts import sandbox_protocol
from judge.languages import LANGUAGES
from judge.runner import TestInput
from judge.sandbox.api import Limits
from pipeline.compile_cache import CompileCache
from pipeline.lambda_runner import LambdaRunner
from tests.pipeline.test_sandbox_function import ECHO_C, InProcessLambda

C = LANGUAGES["c"]


def _runner(tmp_path, build="sandbox-build-1", max_bytes=64 << 20):
    client = InProcessLambda()
    return client, LambdaRunner(client, "sandbox", compile_cache=CompileCache(tmp_path / "compiled", build, max_bytes))


def _compiles(client):
    return [call for call in client.calls if call.get("action") == "compile"]


def test_the_same_source_is_compiled_once_and_runs_the_same(tmp_path):
    client, runner = _runner(tmp_path)
    first = runner.compile(C, ECHO_C)
    again = runner.compile(C, ECHO_C)
    assert len(_compiles(client)) == 1 and runner.compiles_cached == 1
    assert again.ok and again.artifact.files == first.artifact.files
    stdin = tmp_path / "1.in"
    stdin.write_bytes(b"cached\n")
    [observation] = runner.run(C, again, [TestInput("1", stdin)], Limits())
    assert observation.stdout == b"cached\n"


def test_a_kept_program_goes_to_its_runs_as_the_text_it_was_kept_in_not_packed_again(tmp_path, monkeypatch):
    _, first = _runner(tmp_path)
    first.compile(C, ECHO_C)
    [entry] = (tmp_path / "compiled").iterdir()
    kept = json.loads(entry.read_bytes())["artifact_b64"]
    packed = []
    real_pack = sandbox_protocol._pack_files
    monkeypatch.setattr(sandbox_protocol, "_pack_files", lambda files: packed.append(files) or real_pack(files))
    client, runner = _runner(tmp_path)  # another environment of the worker: the kept reply is all it has
    compiled = runner.compile(C, ECHO_C)
    inputs = []
    for name in ("1", "2"):
        (tmp_path / f"{name}.in").write_bytes(f"run {name}\n".encode())
        inputs.append(TestInput(name, tmp_path / f"{name}.in"))
    observations = runner.run(C, compiled, inputs, Limits())
    assert [o.stdout for o in observations] == [b"run 1\n", b"run 2\n"]
    runs = [call for call in client.calls if call.get("action") == "run"]
    assert runs and all(call["artifact_b64"] == kept for call in runs)
    assert runner.compiles_cached == 1 and not _compiles(client) and packed == []


def test_another_source_language_or_sandbox_build_is_compiled_anew(tmp_path):
    client, runner = _runner(tmp_path)
    runner.compile(C, ECHO_C)
    runner.compile(C, ECHO_C + b"/* another source */\n")
    runner.compile(LANGUAGES["cpp"], ECHO_C)
    assert len(_compiles(client)) == 3 and runner.compiles_cached == 0
    new_client, new_build = _runner(tmp_path, build="sandbox-build-2")  # same directory, a new compiler
    new_build.compile(C, ECHO_C)
    assert len(_compiles(new_client)) == 1 and new_build.compiles_cached == 0


def test_a_compile_error_is_not_kept(tmp_path):
    client, runner = _runner(tmp_path)
    for _ in range(2):
        assert not runner.compile(C, b"int main( {").ok
    assert len(_compiles(client)) == 2 and not list((tmp_path / "compiled").glob("*"))


def test_an_entry_that_is_not_a_valid_reply_is_dropped_and_compiled_again(tmp_path):
    client, runner = _runner(tmp_path)
    runner.compile(C, ECHO_C)
    [entry] = (tmp_path / "compiled").iterdir()
    wire = json.loads(entry.read_text())
    entry.write_text(json.dumps({**wire, "artifact_b64": "not a tar"}))
    assert runner.compile(C, ECHO_C).ok
    assert len(_compiles(client)) == 2 and runner.compiles_cached == 0
    assert runner.compile(C, ECHO_C).ok and runner.compiles_cached == 1  # the rewritten entry is good


def test_the_least_recently_used_programs_go_first(tmp_path):
    probe_client, probe = _runner(tmp_path / "probe")
    probe.compile(C, ECHO_C)
    [entry] = (tmp_path / "probe" / "compiled").iterdir()
    size = entry.stat().st_size
    client, runner = _runner(tmp_path, max_bytes=int(size * 4.5))  # room for four programs of this size
    sources = [ECHO_C + f"/* {i} */\n".encode() for i in range(6)]
    for source in sources[:4]:
        runner.compile(C, source)
    runner.compile(C, sources[0])  # used again: the newest now
    runner.compile(C, sources[4])
    runner.compile(C, sources[5])
    assert len(list((tmp_path / "compiled").iterdir())) <= 4
    calls = len(_compiles(client))
    runner.compile(C, sources[0])
    assert len(_compiles(client)) == calls, "the most recently used program was removed"
    runner.compile(C, sources[1])
    assert len(_compiles(client)) == calls + 1, "the least recently used program was kept"


@pytest.mark.parametrize(("env", "configured"), [
    ({}, False),
    ({"SANDBOX_BUILD": "abc", "COMPILE_CACHE_MAX_MB": "0"}, False),
    ({"SANDBOX_BUILD": "abc"}, True),
])
def test_nothing_is_cached_without_a_sandbox_build_to_key_it(env, configured, tmp_path):
    cache = CompileCache.from_environment({**env, "COMPILE_CACHE_DIR": str(tmp_path)})
    assert (cache is not None) == configured
