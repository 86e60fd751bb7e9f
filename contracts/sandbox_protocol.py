"""SandboxRequest / SandboxReply v1: the worker ↔ sandbox function contract, typed at both ends.

The sandbox function only compiles and observes. Requests carry the program and test inputs, never
answers. Every encoding of the wire lives here and nowhere else: base64 for bytes, gzip for a run's
stdout (so a batch fits Lambda's 6 MB response), a gzipped tar for a compiled program. When a batch's
outputs would not fit, the sandbox stops early and the reply holds fewer observations than tests;
the worker sends the rest again.

    request = decode_request(event)          # CompileRequest | RunRequest | SelfTestRequest
    reply = ...; return reply.to_wire()      # in the sandbox function
    CompileReply.from_wire(payload)          # in the worker (LambdaRunner)
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import gzip
import io
import tarfile
from dataclasses import dataclass, field

from contracts.errors import SandboxProtocolError
from judge.languages import LANGUAGES
from judge.runner import Artifact
from judge.sandbox.api import Limits, MemoryModel, Observation, Outcome

VERSION = 1
# Lambda's synchronous payload limit is 6 MB each way; leave room for JSON and base64 growth.
MAX_REQUEST_BYTES = 5_000_000
MAX_RESPONSE_BYTES = 4_500_000
WIRE_OVERHEAD_BYTES = 512  # an observation's JSON beyond its two encoded streams


# ---- encodings ------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SandboxProtocolError(f"{what} is not valid base64") from None


def artifact_to_wire(artifact: Artifact) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for name in sorted(artifact.files):
            mode, data = artifact.files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    return b64(buffer.getvalue())


def artifact_from_wire(text: str) -> Artifact:
    """The files of a compiled program; only plain files directly in the run's directory."""
    files = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(unb64(text, "artifact_b64")), mode="r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile() or "/" in member.name or member.name.startswith("."):
                    raise SandboxProtocolError(f"unexpected artifact member {member.name!r}")
                files[member.name] = (member.mode & 0o755, tar.extractfile(member).read())
    except (tarfile.TarError, OSError, EOFError) as error:
        raise SandboxProtocolError(f"artifact is not a gzipped tar: {error}") from None
    return Artifact(files)


def observation_to_wire(observation: Observation) -> dict:
    return {
        "outcome": observation.outcome.value, "exit_code": observation.exit_code, "signal": observation.signal,
        "cpu_ms": observation.cpu_ms, "wall_ms": observation.wall_ms, "memory_kb": observation.memory_kb,
        "detail": observation.detail, "stderr_b64": b64(observation.stderr),
        "stdout_gz_b64": b64(gzip.compress(observation.stdout, compresslevel=1)),
    }


def observation_from_wire(data: dict) -> Observation:
    try:
        return Observation(
            outcome=Outcome(data["outcome"]), exit_code=data.get("exit_code"), signal=data.get("signal"),
            cpu_ms=int(data["cpu_ms"]), wall_ms=int(data["wall_ms"]), memory_kb=int(data["memory_kb"]),
            stdout=gzip.decompress(unb64(data["stdout_gz_b64"], "stdout_gz_b64")),
            stderr=unb64(data.get("stderr_b64", ""), "stderr_b64"), detail=str(data.get("detail", "")),
        )
    except (KeyError, TypeError, ValueError, OSError, EOFError) as error:
        raise SandboxProtocolError(f"bad observation: {error!r:.200}") from None


def wire_size(wire: dict) -> int:
    """What one observation adds to a reply, for batching under MAX_RESPONSE_BYTES."""
    return len(wire["stdout_gz_b64"]) + len(wire["stderr_b64"]) + WIRE_OVERHEAD_BYTES


def limits_to_wire(limits: Limits) -> dict:
    return {**dataclasses.asdict(limits), "memory_model": limits.memory_model.value}


def limits_from_wire(data: dict) -> Limits:
    known = {k: v for k, v in data.items() if k in Limits.__dataclass_fields__}
    try:
        if "memory_model" in known:
            known["memory_model"] = MemoryModel(known["memory_model"])
        return Limits(**known)
    except (TypeError, ValueError) as error:
        raise SandboxProtocolError(f"bad limits: {error}") from None


# ---- requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestPayload:
    """One test's input: inline, or a presigned S3 GET for inputs too large to inline."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    input: bytes | None = None
    input_url: str | None = None

    def to_wire(self) -> dict:
        if self.input_url is not None:
            return {"name": self.name, "input_url": self.input_url}
        return {"name": self.name, "input_b64": b64(self.input or b"")}

    @classmethod
    def from_wire(cls, data: object) -> TestPayload:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise SandboxProtocolError("each test needs a name and input_b64 or input_url")
        if isinstance(data.get("input_url"), str):
            return cls(data["name"], input_url=data["input_url"])
        if isinstance(data.get("input_b64"), str):
            return cls(data["name"], input=unb64(data["input_b64"], "input_b64"))
        raise SandboxProtocolError("each test needs a name and input_b64 or input_url")


@dataclass(frozen=True)
class CompileRequest:
    language: str
    source: bytes

    def to_wire(self) -> dict:
        return {"version": VERSION, "action": "compile", "language": self.language, "source_b64": b64(self.source)}


@dataclass(frozen=True)
class RunRequest:
    language: str
    artifact: Artifact
    limits: Limits
    tests: tuple[TestPayload, ...]
    main_class: str | None = None

    def to_wire(self, tests: list[TestPayload] | None = None, artifact_wire: str | None = None) -> dict:
        """The request for `tests` (default all); `artifact_wire` reuses an encoding across batches."""
        return {"version": VERSION, "action": "run", "language": self.language,
                "artifact_b64": artifact_wire or artifact_to_wire(self.artifact), "main_class": self.main_class,
                "limits": limits_to_wire(self.limits),
                "tests": [test.to_wire() for test in (self.tests if tests is None else tests)]}


@dataclass(frozen=True)
class SelfTestRequest:
    language: str

    def to_wire(self) -> dict:
        return {"version": VERSION, "action": "self_test", "language": self.language}


SandboxRequest = CompileRequest | RunRequest | SelfTestRequest


def _field(data: dict, key: str, kind: type | tuple[type, ...]):
    value = data.get(key)
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise SandboxProtocolError(f"field {key!r} must be {names}")
    return value


def decode_request(data: object) -> SandboxRequest:
    """The typed request; SandboxProtocolError with a reason when it is not one."""
    if not isinstance(data, dict):
        raise SandboxProtocolError("request must be a JSON object")
    if data.get("version") != VERSION:
        raise SandboxProtocolError(f"unsupported sandbox request version {data.get('version')!r}")
    action = data.get("action")
    language = _field(data, "language", str)
    if language not in LANGUAGES:
        raise SandboxProtocolError(f"unknown language {language!r}")
    if action == "compile":
        return CompileRequest(language, unb64(_field(data, "source_b64", str), "source_b64"))
    if action == "run":
        tests = tuple(TestPayload.from_wire(test) for test in _field(data, "tests", list))
        main_class = data.get("main_class")
        if main_class is not None and not isinstance(main_class, str):
            raise SandboxProtocolError("field 'main_class' must be str or null")
        return RunRequest(language, artifact_from_wire(_field(data, "artifact_b64", str)),
                          limits_from_wire(_field(data, "limits", dict)), tests, main_class)
    if action == "self_test":
        return SelfTestRequest(language)
    raise SandboxProtocolError(f"unknown action {action!r}")


# ---- replies --------------------------------------------------------------------------------------


def _reply(data: object) -> dict:
    if not isinstance(data, dict):
        raise SandboxProtocolError("reply must be a JSON object")
    if "error" in data:
        raise SandboxProtocolError(f"sandbox rejected the request: {data['error']}")
    if data.get("version") != VERSION:
        raise SandboxProtocolError(f"unsupported sandbox reply version {data.get('version')!r}")
    return data


@dataclass
class CompileReply:
    ok: bool
    compile_output: str
    artifact: Artifact | None
    main_class: str | None = None
    observation: Observation | None = None  # the compiler's run (None when nothing ran)

    def to_wire(self) -> dict:
        return {"version": VERSION, "ok": self.ok, "compile_output": self.compile_output,
                "artifact_b64": artifact_to_wire(self.artifact) if self.artifact else None,
                "main_class": self.main_class,
                "observation": observation_to_wire(self.observation) if self.observation else None}

    @classmethod
    def from_wire(cls, data: object) -> CompileReply:
        data = _reply(data)
        artifact = data.get("artifact_b64")
        observation = data.get("observation")
        return cls(bool(_field(data, "ok", bool)), _field(data, "compile_output", str),
                   artifact_from_wire(artifact) if artifact else None, data.get("main_class"),
                   observation_from_wire(observation) if observation else None)


@dataclass
class RunReply:
    """A batch's observations, in test order. `add` encodes each once and refuses one that would
    take the reply past `budget` (the first always fits: a reply is never empty)."""

    observations: list[Observation] = field(default_factory=list)
    budget: int = MAX_RESPONSE_BYTES
    _wire: list[dict] = field(default_factory=list, repr=False)
    _used: int = 0

    def add(self, observation: Observation) -> bool:
        wire = observation_to_wire(observation)
        size = wire_size(wire)
        if self._wire and self._used + size > self.budget:
            return False
        self.observations.append(observation)
        self._wire.append(wire)
        self._used += size
        return True

    def to_wire(self) -> dict:
        return {"version": VERSION, "observations": self._wire}

    @classmethod
    def from_wire(cls, data: object) -> RunReply:
        items = _field(_reply(data), "observations", list)
        return cls([observation_from_wire(item) for item in items])


@dataclass
class SelfTestReply:
    ok: bool
    detail: str

    def to_wire(self) -> dict:
        return {"version": VERSION, "ok": self.ok, "detail": self.detail}


def error_reply(reason: str) -> dict:
    return {"version": VERSION, "error": reason}
