"""JUDGE_FRESH_ENVIRONMENT (Terraform: sandbox_fresh_environment): every sandbox invocation in an
execution environment of its own, and what that costs, measured through the deployed pipeline."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AC = "problems/aplusb/submissions/accepted/sum.py"


def _reports(stack, function_name: str, since_ms: int) -> list[str]:
    logs = stack.client("logs")
    messages = []
    for page in logs.get_paginator("filter_log_events").paginate(
            logGroupName=f"/aws/lambda/{function_name}", startTime=since_ms):
        messages += [e["message"] for e in page["events"] if e["message"].startswith("REPORT")]
    return messages


def _judge(api, count: int) -> list[float]:
    took = []
    for _ in range(count):
        t0 = time.monotonic()
        # A source never seen before: the worker's compile cache would skip its compile call.
        response = api.submit("aplusb", "python", f"# {uuid.uuid4()}\n" + (REPO / AC).read_text())
        assert response.status_code == 202, response.text
        assert api.wait(response.json()["submission_id"])["verdict"] == "ACCEPTED"
        took.append(time.monotonic() - t0)
    return took


def test_every_sandbox_invocation_gets_a_fresh_environment_when_asked(api, stack):
    lam = stack.client("lambda")
    sandbox = stack.outputs["function_names"]["sandbox_python"]
    config = lam.get_function_configuration(FunctionName=sandbox)["Environment"]["Variables"]
    _judge(api, 1)  # warm the pipeline
    warm = _judge(api, 3)
    try:
        lam.update_function_configuration(FunctionName=sandbox,
                                          Environment={"Variables": {**config, "JUDGE_FRESH_ENVIRONMENT": "1"}})
        lam.get_waiter("function_updated_v2").wait(FunctionName=sandbox)
        _judge(api, 1)  # the first invocations after the update are cold anyway
        since = int(time.time() * 1000)
        fresh = _judge(api, 3)
        time.sleep(2)  # the last REPORT lines reach the log group
        reports = _reports(stack, sandbox, since)
    finally:
        lam.update_function_configuration(FunctionName=sandbox, Environment={"Variables": config})
        lam.get_waiter("function_updated_v2").wait(FunctionName=sandbox)
    assert len(reports) >= 3, reports  # per submission a compile call, which runs its tests too
    cold = [r for r in reports if "Init Duration" in r]
    assert len(cold) == len(reports), reports  # not one invocation found a warm environment
    init_ms = [float(r.split("Init Duration: ")[1].split()[0]) for r in cold]
    report = {"warm_s": [round(t, 2) for t in warm], "fresh_s": [round(t, 2) for t in fresh],
              "sandbox_invocations": len(reports), "sandbox_init_ms": [round(m) for m in init_ms]}
    out = Path(os.environ.get("E2E_REPORT_DIR", stack.state_dir)) / "fresh_environment.json"
    out.write_text(json.dumps(report))
    print(f"\nfresh sandbox environments: {report}")
