"""The sandbox function's handler with the real sandbox, and the LambdaRunner speaking to it."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from contracts.sandbox_protocol import artifact_to_wire, limits_to_wire, observation_from_wire
from judge.languages import LANGUAGES
from judge.runner import TestInput
from judge.sandbox.api import Limits, Outcome
from pipeline import lambda_runner
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
