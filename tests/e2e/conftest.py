"""Helpers for driving the running system through its public API."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
FINAL = {"JUDGED", "FAILED"}


class Api:
    def __init__(self, base_url: str, token: str):
        self.http = httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def submit(self, problem_id: str, language: str, source: str, **headers) -> httpx.Response:
        return self.http.post("/v1/submissions", json={"problem_id": problem_id, "language": language,
                                                       "source_code": source}, headers=headers)

    def submit_file(self, problem_id: str, language: str, relative: str) -> str:
        response = self.submit(problem_id, language, (REPO / relative).read_text())
        assert response.status_code == 202, response.text
        return response.json()["submission_id"]

    def get(self, submission_id: str) -> dict:
        response = self.http.get(f"/v1/submissions/{submission_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait(self, submission_id: str, timeout: float = 240, interval: float = 0.25) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.get(submission_id)
            if body["status"] in FINAL:
                return body
            time.sleep(interval)
        raise AssertionError(f"submission {submission_id} not final after {timeout} s: {body}")


def processes(predicate) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if predicate(environ, argv):
            found.append(int(entry.name))
    return found


def handler_processes(function_name: str) -> list[int]:
    """The process that runs a function's handler: the Python runtime (awslambdaric, started by
    /var/rapid/bootstrap.py) of one of its execution environments, not their init."""
    marker = f"AWS_LAMBDA_FUNCTION_NAME={function_name}".encode()
    return processes(lambda environ, argv: marker in environ
                      and any(arg.endswith(b"bootstrap.py") for arg in argv))


@pytest.fixture(scope="session")
def api(stack) -> Api:
    return Api(stack.api_url, stack.demo_token)
