"""A `judge.runner.Runner` that runs submitted code in the sandbox Lambda function.

The worker keeps the answers and checks outputs itself; the sandbox gets only the program and the
inputs. Tests go in batches that fit Lambda's synchronous payload limit; an input too large to inline
goes as a presigned S3 GET URL (the worker uploads it once, under `testdata/`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from judge.languages import Language
from judge.runner import Artifact, CompileOutcome, TestInput
from judge.sandbox.api import Limits, Observation
from pipeline.sandbox_protocol import (
    MAX_REQUEST_BYTES,
    VERSION,
    TestPayload,
    observation_from_wire,
)

INLINE_INPUT_LIMIT = 1_000_000  # larger inputs go by presigned URL
PRESIGNED_URL_TTL_S = 900


class SandboxInvokeError(RuntimeError):
    """The sandbox function could not be reached or failed: transient, the worker is retried."""


class LambdaRunner:
    def __init__(self, lambda_client, function_name: str, s3_client=None, bucket: str | None = None):
        self.lambda_client = lambda_client
        self.function_name = function_name
        self.s3 = s3_client
        self.bucket = bucket

    def _invoke(self, payload: dict) -> dict:
        response = self.lambda_client.invoke(
            FunctionName=self.function_name, InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
        body = response["Payload"].read()
        if response.get("FunctionError"):
            raise SandboxInvokeError(f"sandbox function failed: {body[:500]!r}")
        data = json.loads(body)
        if "error" in data:
            raise SandboxInvokeError(f"sandbox rejected the request: {data['error']}")
        return data

    def compile(self, language: Language, source: bytes) -> CompileOutcome:
        data = self._invoke({"version": VERSION, "action": "compile", "language": language.name,
                             "source_b64": base64.b64encode(source).decode()})
        observation = observation_from_wire(data["observation"]) if data.get("observation") else None
        artifact = Artifact.from_b64(data["artifact_b64"]) if data.get("artifact_b64") else None
        return CompileOutcome(data["ok"], data["compile_output"], artifact, observation, data.get("main_class"))

    def _payload(self, test: TestInput) -> TestPayload:
        size = test.input_path.stat().st_size
        if size <= INLINE_INPUT_LIMIT:
            return TestPayload(test.name, input_b64=base64.b64encode(test.input_path.read_bytes()).decode())
        if self.s3 is None or self.bucket is None:
            raise SandboxInvokeError(f"input of {test.name} is {size} bytes and no bucket is configured for it")
        return TestPayload(test.name, input_url=self._upload_input(test.input_path))

    def _upload_input(self, path: Path) -> str:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        key = f"testdata/{digest}"
        self.s3.upload_file(str(path), self.bucket, key, ExtraArgs={"ServerSideEncryption": "AES256"})
        return self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                              ExpiresIn=PRESIGNED_URL_TTL_S)

    def run(self, language: Language, compiled: CompileOutcome, tests: list[TestInput],
            limits: Limits) -> list[Observation]:
        artifact_b64 = compiled.artifact.to_b64()
        base = {"version": VERSION, "action": "run", "language": language.name, "artifact_b64": artifact_b64,
                "main_class": compiled.main_class, "limits": limits.to_json()}
        pending = [self._payload(test) for test in tests]
        observations: list[Observation] = []
        while pending:
            batch, size = [], len(artifact_b64) + 1024
            for payload in pending:
                item = len(json.dumps(payload.to_json()))
                if batch and size + item > MAX_REQUEST_BYTES:
                    break
                batch.append(payload)
                size += item
            data = self._invoke({**base, "tests": [payload.to_json() for payload in batch]})
            done = [observation_from_wire(item) for item in data["observations"]]
            if not done:
                raise SandboxInvokeError("sandbox returned no observation for a non-empty batch")
            observations.extend(done)
            pending = pending[len(done):]
        return observations

