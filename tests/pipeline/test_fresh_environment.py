"""JUDGE_FRESH_ENVIRONMENT: the runtime exits once its answer is posted, never before."""

import sys
import types

import pytest

from pipeline import fresh_environment


class Exited(Exception):
    pass


@pytest.fixture
def runtime(monkeypatch):
    """awslambdaric's runtime client as a fake whose every `wait_next_invocation` is recorded, and
    os._exit raising Exited; returns (client class, calls)."""
    calls = []

    class LambdaRuntimeClient:
        def wait_next_invocation(self):
            calls.append("next")
            return f"invocation {len(calls)}"

    module = types.ModuleType("awslambdaric.lambda_runtime_client")
    module.LambdaRuntimeClient = LambdaRuntimeClient
    monkeypatch.setitem(sys.modules, "awslambdaric", types.ModuleType("awslambdaric"))
    monkeypatch.setitem(sys.modules, "awslambdaric.lambda_runtime_client", module)
    monkeypatch.setattr(fresh_environment, "_spared", False)

    def exit_(code):
        raise Exited(code)

    monkeypatch.setattr(fresh_environment.os, "_exit", exit_)
    return LambdaRuntimeClient, calls


def test_the_runtime_exits_when_it_asks_for_a_second_invocation(runtime):
    client_class, calls = runtime
    assert fresh_environment.end_after_each_invocation()
    client = client_class()
    assert client.wait_next_invocation() == "invocation 1"  # the first invocation is served
    with pytest.raises(Exited):
        client.wait_next_invocation()  # after its answer: the environment ends
    assert calls == ["next"]


def test_a_warm_up_leaves_the_environment_to_the_first_invocation_that_runs_anything(runtime):
    client_class, calls = runtime
    assert fresh_environment.end_after_each_invocation()
    client = client_class()
    assert client.wait_next_invocation() == "invocation 1"  # a worker's warm-up: nothing runs
    fresh_environment.spare_this_invocation()
    assert client.wait_next_invocation() == "invocation 2"  # the first compile or run is served here
    with pytest.raises(Exited):
        client.wait_next_invocation()  # and after its answer the environment ends, as before
    assert calls == ["next", "next"]


def test_without_awslambdaric_the_environment_stays_warm(monkeypatch):
    monkeypatch.setitem(sys.modules, "awslambdaric", None)
    assert fresh_environment.end_after_each_invocation() is False
