"""A `judge.runner.Runner` that runs submitted code in the sandbox Lambda function.

The worker keeps the answers and checks outputs itself; the sandbox gets only the program and the
inputs. Tests go in batches that fit Lambda's synchronous payload limit; an input too large to inline
goes as a presigned S3 GET URL (the worker uploads it once, under `testdata/`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from contracts.errors import SandboxInvokeError, SandboxProtocolError
from contracts.sandbox_protocol import (
    MAX_REQUEST_BYTES,
    CompileReply,
    CompileRequest,
    RunReply,
    RunRequest,
    TestPayload,
    artifact_to_wire,
)
from judge.languages import Language
from judge.runner import CompileOutcome, TestInput
from judge.sandbox.api import Limits, Observation

INLINE_INPUT_LIMIT = 1_000_000  # larger inputs go by presigned URL
PRESIGNED_URL_TTL_S = 900


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
        try:
            return json.loads(body)
        except ValueError:
            raise SandboxInvokeError(f"sandbox function answered something else than JSON: {body[:200]!r}") from None

    def compile(self, language: Language, source: bytes) -> CompileOutcome:
        data = self._invoke(CompileRequest(language.name, source).to_wire())
        try:
            reply = CompileReply.from_wire(data)
        except SandboxProtocolError as error:
            raise SandboxInvokeError(str(error)) from None
        return CompileOutcome(reply.ok, reply.compile_output, reply.artifact, reply.observation, reply.main_class)

    def _payload(self, test: TestInput) -> TestPayload:
        size = test.input_path.stat().st_size
        if size <= INLINE_INPUT_LIMIT:
            return TestPayload(test.name, input=test.input_path.read_bytes())
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
        request = RunRequest(language.name, compiled.artifact, limits, tuple(self._payload(t) for t in tests),
                             compiled.main_class)
        artifact_wire = artifact_to_wire(compiled.artifact)
        pending = list(request.tests)
        observations: list[Observation] = []
        while pending:
            batch, size = [], len(artifact_wire) + 1024
            for payload in pending:
                item = len(json.dumps(payload.to_wire()))
                if batch and size + item > MAX_REQUEST_BYTES:
                    break
                batch.append(payload)
                size += item
            try:
                done = RunReply.from_wire(self._invoke(request.to_wire(batch, artifact_wire))).observations
            except SandboxProtocolError as error:
                raise SandboxInvokeError(str(error)) from None
            if not done:
                raise SandboxInvokeError("sandbox returned no observation for a non-empty batch")
            observations.extend(done)
            pending = pending[len(done):]
        return observations
