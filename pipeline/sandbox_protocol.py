"""SandboxRequest / SandboxResponse v1: the worker ↔ sandbox function contract.

The sandbox function only compiles and observes. Requests carry the program and test inputs, never
answers. Outputs come back gzip-compressed so a batch fits Lambda's 6 MB response; when a batch's
outputs would not fit, the sandbox stops early and says how many tests it completed, and the worker
sends the rest again.
"""

from __future__ import annotations

import base64
import gzip
from dataclasses import dataclass

from judge.languages import LANGUAGES
from judge.sandbox.api import Limits, Observation

VERSION = 1
# Lambda's synchronous payload limit is 6 MB each way; leave room for JSON and base64 growth.
MAX_REQUEST_BYTES = 5_000_000
MAX_RESPONSE_BYTES = 4_500_000


class SandboxProtocolError(ValueError):
    pass


@dataclass
class TestPayload:
    name: str
    input_b64: str | None = None
    input_url: str | None = None  # presigned S3 GET for inputs too large to inline

    def to_json(self) -> dict:
        data = {"name": self.name}
        if self.input_url is not None:
            data["input_url"] = self.input_url
        else:
            data["input_b64"] = self.input_b64
        return data


def _require(data: dict, key: str, kind: type):
    value = data.get(key)
    if not isinstance(value, kind):
        raise SandboxProtocolError(f"field {key!r} must be {kind.__name__}")
    return value


def parse_request(data: object) -> dict:
    """Validate a request and return it; raise SandboxProtocolError with a reason otherwise."""
    if not isinstance(data, dict):
        raise SandboxProtocolError("request must be a JSON object")
    if data.get("version") != VERSION:
        raise SandboxProtocolError(f"unsupported sandbox request version {data.get('version')!r}")
    action = data.get("action")
    language = _require(data, "language", str)
    if language not in LANGUAGES:
        raise SandboxProtocolError(f"unknown language {language!r}")
    if action == "compile":
        _require(data, "source_b64", str)
    elif action == "run":
        _require(data, "artifact_b64", str)
        tests = _require(data, "tests", list)
        for test in tests:
            if not isinstance(test, dict) or not isinstance(test.get("name"), str) or not (
                    isinstance(test.get("input_b64"), str) or isinstance(test.get("input_url"), str)):
                raise SandboxProtocolError("each test needs a name and input_b64 or input_url")
        Limits.from_json(_require(data, "limits", dict))
    elif action == "self_test":
        pass
    else:
        raise SandboxProtocolError(f"unknown action {action!r}")
    return data


def pack_output(data: bytes) -> str:
    return base64.b64encode(gzip.compress(data, compresslevel=1)).decode()


def unpack_output(text: str) -> bytes:
    return gzip.decompress(base64.b64decode(text))


def observation_to_wire(observation: Observation) -> dict:
    data = observation.to_json()
    del data["stdout_b64"]
    data["stdout_gz_b64"] = pack_output(observation.stdout)
    return data


def observation_from_wire(data: dict) -> Observation:
    observation = Observation.from_json({**data, "stdout_b64": ""})
    observation.stdout = unpack_output(data["stdout_gz_b64"])
    return observation
