"""SandboxRequest / SandboxReply v1: the worker ↔ sandbox function contract, typed at both ends.

The sandbox function only compiles and observes. Requests carry the program and test inputs, never
answers. Every encoding of the wire lives here and nowhere else: base64 for bytes, gzip for a run's
stdout (so a batch fits Lambda's 6 MB response), a tar (gzipped when large) for a compiled program.
When a batch's outputs would not fit, the sandbox stops early and the reply holds fewer observations
than tests; the worker sends the rest again.

    request = decode_request(event)          # CompileRequest | RunRequest | InteractRequest | SelfTestRequest | WarmUpRequest
    reply = ...; return seal(reply.to_wire(), key, request.nonce)    # in the sandbox function
    CompileReply.from_wire(open_sealed(payload, key, nonce))         # in the worker (LambdaRunner)

Replies are authenticated. In Lambda the submission shares the sandbox function's uid and can reach
the Runtime API, so it can read the whole request and post a reply of its own before the handler
does. So the handler seals its reply: an HMAC-SHA256, with a key the function gets from its
configuration (never in a request; unreadable to the submission once the handler is non-dumpable),
over the request's nonce and the exact reply bytes. The worker opens only what that key sealed for
that nonce. Without a key at both ends (the CLI, unit tests) replies travel unsealed.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import gzip
import hashlib
import hmac
import io
import json
import re
import secrets
import tarfile
import zlib
from dataclasses import dataclass, field

from contracts.errors import SandboxProtocolError
from contracts.secret_box import SecretBox
from judge.checkers.base import FEEDBACK_FILES, FEEDBACK_READ_LIMIT, truncate
from judge.checkers.portable import MAX_VALIDATOR_BYTES, PortableValidator, PortableValidatorError
from judge.languages import LANGUAGES
from judge.runner import ARTIFACT_LIMIT, COMPILE_OUTPUT_LIMIT, Artifact
from judge.sandbox.api import Limits, MemoryModel, Observation, Outcome

_DIGEST = re.compile(r"[0-9a-f]{64}")

VERSION = 1
# Lambda's synchronous payload limit is 6 MB each way; leave room for JSON and base64 growth.
MAX_REQUEST_BYTES = 5_000_000
MAX_RESPONSE_BYTES = 4_500_000
WIRE_OVERHEAD_BYTES = 512  # an observation's JSON beyond its two encoded streams

# What a reply may claim, whoever wrote it: a reply is checked as if the submission had (see
# docs/ARCHITECTURE.md). Sizes are after decompression; times and memory fit the result columns.
MAX_STDOUT_BYTES = 64 << 20
MAX_STDERR_BYTES = 1 << 20
MAX_DETAIL_CHARS = 1000
MAX_COMPILE_OUTPUT_BYTES = COMPILE_OUTPUT_LIMIT  # what the engine keeps, here in bytes of UTF-8
MAX_ARTIFACT_BYTES = ARTIFACT_LIMIT  # the largest program the engine's compile step accepts
MAX_MS = 24 * 3600 * 1000  # a day: no run of ours takes longer
MAX_MEMORY_KB = 1 << 30  # a TiB
MAX_SIGNAL = 64
MAX_VALIDATION_TIME_S = 600.0


# ---- encodings ------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SandboxProtocolError(f"{what} is not valid base64") from None


# Files up to this size travel as a plain tar: gzip would cost a static C++ program (1.8 MB) about
# 28 ms of the sandbox's CPU at level 1 and the worker 7 ms to inflate, more than the bytes it saves
# cost to carry. Larger ones are gzipped, so the reply keeps room for the runs' output.
PLAIN_TAR_MAX_BYTES = 2 << 20
_GZIP_MAGIC = b"\x1f\x8b"


def _pack_files(files: dict[str, tuple[int, bytes]]) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in sorted(files):
            mode, data = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    packed = buffer.getvalue()
    return b64(packed if len(packed) <= PLAIN_TAR_MAX_BYTES else gzip.compress(packed, compresslevel=1, mtime=0))


def _unpack_files(text: str, what: str, max_bytes: int, *, flat: bool) -> dict[str, tuple[int, bytes]]:
    """The plain files of a tar, plain or gzipped, at most `max_bytes` in all (checked member by
    member, before anything is read: no gzip bomb); `flat`: only names directly in one directory."""
    files, total = {}, 0
    packed = unb64(text, f"{what}_b64")
    try:
        with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz" if packed[:2] == _GZIP_MAGIC else "r:") as tar:
            for member in tar:
                if not member.isfile() or (flat and ("/" in member.name or member.name.startswith("."))):
                    raise SandboxProtocolError(f"unexpected {what} member {member.name!r}")
                total += member.size
                if total > max_bytes:
                    raise SandboxProtocolError(f"{what} is over {max_bytes} bytes")
                files[member.name] = (member.mode & 0o755, tar.extractfile(member).read())
    except (tarfile.TarError, OSError, EOFError) as error:
        raise SandboxProtocolError(f"{what} is not a tar: {error}") from None
    return files


def artifact_to_wire(artifact: Artifact) -> str:
    """Packed once per program: every batch and test of it sends the same text."""
    if artifact.wire is None:
        artifact.wire = _pack_files(artifact.files)
    return artifact.wire


def artifact_from_wire(text: str, max_bytes: int = MAX_ARTIFACT_BYTES) -> Artifact:
    """The files of a compiled program: only plain files directly in the run's directory (and the
    text they came in, which is what they go out as again)."""
    return Artifact(_unpack_files(text, "artifact", max_bytes, flat=True), wire=text)


def validator_to_wire(program: PortableValidator) -> dict:
    return {"files_b64": _pack_files(program.files), "argv": list(program.argv)}


def validator_reference(digest: str) -> dict:
    """A validator named by its digest only: for a sandbox environment that was sent it already (the
    handler keeps the validators it was sent, by the digest it computed itself)."""
    return {"digest": digest}


def validator_from_wire(data: object) -> PortableValidator | str:
    """The validator, or the digest of one the handler should have (`validator_reference`)."""
    if isinstance(data, dict) and set(data) == {"digest"}:
        digest = data["digest"]
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise SandboxProtocolError("field 'validator.digest' must be a sha256 in hex")
        return digest
    return _validator_files_from_wire(data)


def _validator_files_from_wire(data: object) -> PortableValidator:
    """An interactive problem's built validator: plain files under relative paths (PortableValidator
    checks them), at most MAX_VALIDATOR_BYTES in all."""
    if not isinstance(data, dict) or not isinstance(data.get("argv"), list) or not all(
            isinstance(part, str) for part in data["argv"]):
        raise SandboxProtocolError("field 'validator' must hold files_b64 and an argv of strings")
    files = _unpack_files(_field(data, "files_b64", str), "validator", MAX_VALIDATOR_BYTES, flat=False)
    try:
        return PortableValidator(files, tuple(data["argv"]))
    except PortableValidatorError as error:
        raise SandboxProtocolError(f"bad validator: {error}") from None


def observation_to_wire(observation: Observation) -> dict:
    return {
        "outcome": observation.outcome.value, "exit_code": observation.exit_code, "signal": observation.signal,
        "cpu_ms": observation.cpu_ms, "wall_ms": observation.wall_ms, "memory_kb": observation.memory_kb,
        "detail": observation.detail, "stderr_b64": b64(observation.stderr),
        "stdout_gz_b64": b64(gzip.compress(observation.stdout, compresslevel=1)),
    }


def _bounded_int(data: dict, key: str, low: int, high: int, *, optional: bool = False) -> int | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SandboxProtocolError(f"bad observation: {key} must be an integer in [{low}, {high}], got {value!r:.40}")
    return value


def gunzip_capped(data: bytes, max_bytes: int, what: str) -> bytes:
    """Decompress at most `max_bytes`; more is a protocol error, found without inflating it all."""
    inflater = zlib.decompressobj(wbits=31)  # gzip framing
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as error:
        raise SandboxProtocolError(f"{what} is not gzip: {error}") from None
    if len(out) > max_bytes:
        raise SandboxProtocolError(f"{what} is over {max_bytes} bytes once decompressed")
    return out


def _capped_b64(data: dict, key: str, max_bytes: int) -> bytes:
    text = data.get(key, "")
    if not isinstance(text, str):
        raise SandboxProtocolError(f"bad observation: {key} must be a string")
    if len(text) > (max_bytes + 2) // 3 * 4 + 4:
        raise SandboxProtocolError(f"bad observation: {key} is over {max_bytes} bytes")
    return unb64(text, key)


def observation_from_wire(data: object, max_stdout: int = MAX_STDOUT_BYTES,
                          max_stderr: int = MAX_STDERR_BYTES) -> Observation:
    """An observation, every field checked for type and bounds and every stream capped."""
    if not isinstance(data, dict):
        raise SandboxProtocolError("bad observation: not an object")
    try:
        outcome = Outcome(data.get("outcome"))
    except ValueError:
        raise SandboxProtocolError(f"bad observation: outcome {data.get('outcome')!r:.40}") from None
    detail = data.get("detail", "")
    if not isinstance(detail, str):
        raise SandboxProtocolError("bad observation: detail must be a string")
    stdout_gz = _capped_b64(data, "stdout_gz_b64", MAX_REQUEST_BYTES)
    return Observation(
        outcome=outcome,
        exit_code=_bounded_int(data, "exit_code", 0, 255, optional=True),
        signal=_bounded_int(data, "signal", 1, MAX_SIGNAL, optional=True),
        cpu_ms=_bounded_int(data, "cpu_ms", 0, MAX_MS),
        wall_ms=_bounded_int(data, "wall_ms", 0, MAX_MS),
        memory_kb=_bounded_int(data, "memory_kb", 0, MAX_MEMORY_KB),
        stdout=gunzip_capped(stdout_gz, max_stdout, "stdout_gz_b64"),
        stderr=_capped_b64(data, "stderr_b64", max_stderr),
        detail=detail[:MAX_DETAIL_CHARS],
    )


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


# ---- sealing ----------------------------------------------------------------------------------------

REPLY_KEY_ENV = "SANDBOX_REPLY_KEY"  # hex or any text, at least 32 characters; the same at both ends
MIN_KEY_CHARS = 32


def reply_key(text: str | None) -> bytes | None:
    """The key from its configured text; None when unset. A short key is a configuration error."""
    if not text:
        return None
    if len(text) < MIN_KEY_CHARS:
        raise ValueError(f"{REPLY_KEY_ENV} must be at least {MIN_KEY_CHARS} characters")
    return text.encode()


def new_nonce() -> str:
    return secrets.token_hex(16)


def _mac(key: bytes, nonce: str, body: str) -> str:
    return hmac.new(key, nonce.encode() + b"\0" + body.encode(), hashlib.sha256).hexdigest()


def seal(reply: dict, key: bytes | None, nonce: str | None) -> dict:
    """The reply as sent: `{"sealed": <its JSON>, "mac": ...}` with a key, the reply itself without."""
    if key is None:
        return reply
    body = json.dumps(reply, separators=(",", ":"))
    return {"version": VERSION, "sealed": body, "mac": _mac(key, nonce or "", body)}


def open_sealed(data: object, key: bytes | None, nonce: str | None) -> object:
    """What the sandbox function itself replied; SandboxProtocolError for anything it did not seal."""
    if key is None:
        return data
    if not isinstance(data, dict) or not isinstance(data.get("sealed"), str) or not isinstance(data.get("mac"), str):
        raise SandboxProtocolError("reply is not sealed: it did not come from the sandbox function's handler")
    if not hmac.compare_digest(data["mac"], _mac(key, nonce or "", data["sealed"])):
        raise SandboxProtocolError("reply seal does not match: it did not come from the sandbox function's handler")
    try:
        return json.loads(data["sealed"])
    except ValueError:
        raise SandboxProtocolError("sealed reply is not JSON") from None


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


def _with_nonce(wire: dict, nonce: str | None) -> dict:
    return {**wire, "nonce": nonce} if nonce else wire


@dataclass(frozen=True)
class CompileRequest:
    language: str
    source: bytes
    nonce: str | None = None  # the reply is sealed for it
    # Run these tests with the program in the same call when it compiles (the reply's `ran`), so the
    # first batch costs no invocation of its own; its main_class and artifact are the compile's.
    then_run: RunRequest | None = None

    def to_wire(self, tests_wire: list[dict] | None = None) -> dict:
        wire = {"version": VERSION, "action": "compile", "language": self.language, "source_b64": b64(self.source)}
        if self.then_run is not None:
            wire["then_run"] = {"limits": limits_to_wire(self.then_run.limits),
                                "tests": tests_wire if tests_wire is not None
                                else [test.to_wire() for test in self.then_run.tests],
                                **({"stop_at_failure": True} if self.then_run.stop_at_failure else {})}
        return _with_nonce(wire, self.nonce)


@dataclass(frozen=True)
class RunRequest:
    language: str
    artifact: Artifact
    limits: Limits
    tests: tuple[TestPayload, ...]
    main_class: str | None = None
    nonce: str | None = None
    # End the batch after the first run that ends other than OK (a limit, a crash): the worker stops
    # judging there anyway, unless every test counts (scoring, samples, run_all_tests).
    stop_at_failure: bool = False

    def to_wire(self, tests: list[TestPayload] | None = None, nonce: str | None = None) -> dict:
        """The request for `tests` (default all); `nonce` (default this request's) is the one the
        reply is sealed for. The program is packed once, however many batches send it."""
        return _with_nonce({"version": VERSION, "action": "run", "language": self.language,
                            "artifact_b64": artifact_to_wire(self.artifact),
                            "main_class": self.main_class, "limits": limits_to_wire(self.limits),
                            "tests": [test.to_wire() for test in (self.tests if tests is None else tests)],
                            **({"stop_at_failure": True} if self.stop_at_failure else {})},
                           nonce or self.nonce)


@dataclass(frozen=True)
class SelfTestRequest:
    language: str
    nonce: str | None = None

    def to_wire(self) -> dict:
        return _with_nonce({"version": VERSION, "action": "self_test", "language": self.language}, self.nonce)


@dataclass(frozen=True)
class WarmUpRequest:
    """Start an execution environment and do nothing in it. A worker sends one from its own INIT
    phase, so that the sandbox's cold start (environment, runtime, toolchain checks) overlaps the
    worker's instead of following it; its first real call then finds that environment idle."""

    language: str
    nonce: str | None = None

    def to_wire(self) -> dict:
        return _with_nonce({"version": VERSION, "action": "warm_up", "language": self.language}, self.nonce)


@dataclass(frozen=True)
class InteractiveTest:
    """One interactive test: its input and answer sealed for the sandbox function's handler alone
    (`contracts.secret_box`), in the clear only where there is no key (the CLI, unit tests)."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    secret: str  # a sealed TestSecrets.pack(), or its base64 without a key
    flags: tuple[str, ...] = ()

    def to_wire(self) -> dict:
        return {"name": self.name, "secret": self.secret, "flags": list(self.flags)}

    @classmethod
    def from_wire(cls, data: object) -> InteractiveTest:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(
                data.get("secret"), str):
            raise SandboxProtocolError("each interactive test needs a name and a secret")
        flags = data.get("flags", [])
        if not isinstance(flags, list) or not all(isinstance(flag, str) for flag in flags):
            raise SandboxProtocolError("an interactive test's flags must be a list of strings")
        return cls(data["name"], data["secret"], tuple(flags))


def seal_secret(data: bytes, key: bytes | None) -> str:
    return SecretBox(key).seal(data) if key is not None else b64(data)


def open_secret(text: str, key: bytes | None) -> bytes:
    return SecretBox(key).open(text) if key is not None else unb64(text, "secret")


@dataclass(frozen=True)
class InteractRequest:
    """Run the compiled submission against the problem's validator, one interaction per test."""

    language: str
    artifact: Artifact
    limits: Limits
    validator: PortableValidator | str  # the files, or the digest of files the handler holds
    validation_time_s: float
    tests: tuple[InteractiveTest, ...]
    main_class: str | None = None
    nonce: str | None = None

    def to_wire(self, validator_wire: dict | None = None) -> dict:
        return _with_nonce({"version": VERSION, "action": "interact", "language": self.language,
                            "artifact_b64": artifact_to_wire(self.artifact),
                            "main_class": self.main_class, "limits": limits_to_wire(self.limits),
                            "validator": validator_wire or (validator_reference(self.validator)
                                                            if isinstance(self.validator, str)
                                                            else validator_to_wire(self.validator)),
                            "validation_time_s": self.validation_time_s,
                            "tests": [test.to_wire() for test in self.tests]}, self.nonce)


SandboxRequest = CompileRequest | RunRequest | SelfTestRequest | InteractRequest | WarmUpRequest


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
    nonce = data.get("nonce")
    if nonce is not None and (not isinstance(nonce, str) or not 16 <= len(nonce) <= 128):
        raise SandboxProtocolError("field 'nonce' must be a string of 16 to 128 characters")
    if action == "compile":
        then_run = data.get("then_run")
        if then_run is not None:
            if not isinstance(then_run, dict):
                raise SandboxProtocolError("field 'then_run' must be an object")
            stop = then_run.get("stop_at_failure", False)
            if not isinstance(stop, bool):
                raise SandboxProtocolError("field 'then_run.stop_at_failure' must be a boolean")
            then_run = RunRequest(language, Artifact(), limits_from_wire(_field(then_run, "limits", dict)),
                                  tuple(TestPayload.from_wire(test) for test in _field(then_run, "tests", list)),
                                  stop_at_failure=stop)
        return CompileRequest(language, unb64(_field(data, "source_b64", str), "source_b64"), nonce, then_run)
    if action == "run":
        tests = tuple(TestPayload.from_wire(test) for test in _field(data, "tests", list))
        main_class = data.get("main_class")
        if main_class is not None and not isinstance(main_class, str):
            raise SandboxProtocolError("field 'main_class' must be str or null")
        stop = data.get("stop_at_failure", False)
        if not isinstance(stop, bool):
            raise SandboxProtocolError("field 'stop_at_failure' must be a boolean")
        return RunRequest(language, artifact_from_wire(_field(data, "artifact_b64", str)),
                          limits_from_wire(_field(data, "limits", dict)), tests, main_class, nonce, stop)
    if action == "self_test":
        return SelfTestRequest(language, nonce)
    if action == "warm_up":
        return WarmUpRequest(language, nonce)
    if action == "interact":
        main_class = data.get("main_class")
        if main_class is not None and not isinstance(main_class, str):
            raise SandboxProtocolError("field 'main_class' must be str or null")
        grace = _field(data, "validation_time_s", (int, float))
        if isinstance(grace, bool) or not 0 < grace <= MAX_VALIDATION_TIME_S:
            raise SandboxProtocolError(f"field 'validation_time_s' must be in (0, {MAX_VALIDATION_TIME_S}]")
        tests = tuple(InteractiveTest.from_wire(test) for test in _field(data, "tests", list))
        return InteractRequest(language, artifact_from_wire(_field(data, "artifact_b64", str)),
                               limits_from_wire(_field(data, "limits", dict)), validator_from_wire(data.get("validator")),
                               float(grace), tests, main_class, nonce)
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


ISOLATION_MODES = ("bwrap", "direct")  # judge.sandbox.isolation_mode() of the sandbox function


MAX_TOOLCHAIN_CHARS = 200  # one line of `g++ --version`


def _toolchain(data: dict) -> str | None:
    """The compiler's own version line, as the sandbox's toolchain printed it (optional: older
    sandboxes do not send it)."""
    toolchain = data.get("toolchain")
    if toolchain is not None and (not isinstance(toolchain, str) or not 0 < len(toolchain) <= MAX_TOOLCHAIN_CHARS
                                  or not toolchain.isprintable()):
        raise SandboxProtocolError(f"field 'toolchain' must be one printable line of at most {MAX_TOOLCHAIN_CHARS} characters or null")
    return toolchain


def _isolation(data: dict) -> str | None:
    isolation = data.get("isolation")
    if isolation is not None and isolation not in ISOLATION_MODES:
        raise SandboxProtocolError(f"field 'isolation' must be one of {ISOLATION_MODES} or null")
    return isolation


@dataclass
class CompileReply:
    ok: bool
    compile_output: str
    artifact: Artifact | None
    main_class: str | None = None
    observation: Observation | None = None  # the compiler's run (None when nothing ran)
    isolation: str | None = None  # the sandbox mode the compiler ran in
    toolchain: str | None = None  # the compiler's version line (`Language.version_command`)
    precompiled: str = ""  # its leading includes came precompiled: "held", "built" (judge/prefix_headers.py)

    def to_wire(self) -> dict:
        """(The handler adds `ran`, the runs of a request's `then_run`, as a run request's reply.)"""
        wire = {"version": VERSION, "ok": self.ok, "compile_output": self.compile_output,
                "artifact_b64": artifact_to_wire(self.artifact) if self.artifact else None,
                "main_class": self.main_class, "isolation": self.isolation, "toolchain": self.toolchain,
                "precompiled": self.precompiled,
                "observation": observation_to_wire(self.observation) if self.observation else None}
        return wire

    @classmethod
    def from_wire(cls, data: object) -> CompileReply:
        data = _reply(data)
        artifact = data.get("artifact_b64")
        observation = data.get("observation")
        main_class = data.get("main_class")
        if main_class is not None and (not isinstance(main_class, str) or len(main_class) > 255):
            raise SandboxProtocolError("field 'main_class' must be a class name or null")
        precompiled = data.get("precompiled", "")
        if precompiled not in ("", "held", "built"):
            raise SandboxProtocolError("field 'precompiled' must be '', 'held' or 'built'")
        return cls(bool(_field(data, "ok", bool)), truncate(_field(data, "compile_output", str), MAX_COMPILE_OUTPUT_BYTES),
                   artifact_from_wire(artifact) if artifact else None, main_class,
                   observation_from_wire(observation) if observation else None, _isolation(data), _toolchain(data),
                   precompiled)


@dataclass
class RunReply:
    """A batch's observations, in test order. `add` encodes each once and refuses one that would
    take the reply past `budget` (the first always fits: a reply is never empty)."""

    observations: list[Observation] = field(default_factory=list)
    isolation: str | None = None  # the sandbox mode the programs ran in
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
        return {"version": VERSION, "observations": self._wire, "isolation": self.isolation}

    @classmethod
    def from_wire(cls, data: object, max_stdout: int = MAX_STDOUT_BYTES, max_stderr: int = MAX_STDERR_BYTES,
                  max_items: int | None = None) -> RunReply:
        data = _reply(data)
        items = _field(data, "observations", list)
        if max_items is not None and len(items) > max_items:
            raise SandboxProtocolError(f"{len(items)} observations for {max_items} tests")
        return cls([observation_from_wire(item, max_stdout, max_stderr) for item in items], _isolation(data))


@dataclass
class InteractionReport:
    """One interactive test as the sandbox function saw it (judge.checkers.private_interaction)."""

    observation: Observation
    validator_code: int | None
    validator_first: bool
    failure: str = ""
    feedback: dict[str, bytes] = field(default_factory=dict)
    log: bytes = b""
    interference: str = ""

    def to_wire(self) -> dict:
        return {"observation": observation_to_wire(self.observation), "validator_code": self.validator_code,
                "validator_first": self.validator_first, "failure": self.failure,
                "feedback": {name: b64(data) for name, data in self.feedback.items()},
                "log_b64": b64(self.log), "interference": self.interference}

    @classmethod
    def from_wire(cls, data: object, max_stderr: int = MAX_STDERR_BYTES) -> InteractionReport:
        if not isinstance(data, dict):
            raise SandboxProtocolError("bad interaction: not an object")
        code = data.get("validator_code")
        if code is not None and (not isinstance(code, int) or isinstance(code, bool) or not -MAX_SIGNAL <= code <= 255):
            raise SandboxProtocolError(f"bad interaction: validator_code {code!r:.40}")
        feedback = data.get("feedback", {})
        if not isinstance(feedback, dict) or len(feedback) > len(FEEDBACK_FILES) or not set(feedback) <= set(FEEDBACK_FILES):
            raise SandboxProtocolError("bad interaction: feedback must map feedback file names to base64")
        texts = {key: data.get(key, "") for key in ("failure", "interference")}
        if not all(isinstance(text, str) for text in texts.values()) or not isinstance(data.get("validator_first"), bool):
            raise SandboxProtocolError("bad interaction: failure and interference must be strings, validator_first a boolean")
        return cls(observation_from_wire(data.get("observation"), max_stdout=0, max_stderr=max_stderr),
                   code, data["validator_first"], texts["failure"][:MAX_DETAIL_CHARS],
                   {name: _capped_b64(feedback, name, FEEDBACK_READ_LIMIT) for name in feedback},
                   _capped_b64(data, "log_b64", FEEDBACK_READ_LIMIT), texts["interference"][:MAX_DETAIL_CHARS])


@dataclass
class InteractReply:
    reports: list[InteractionReport] = field(default_factory=list)
    isolation: str | None = None

    def to_wire(self) -> dict:
        return {"version": VERSION, "reports": [report.to_wire() for report in self.reports],
                "isolation": self.isolation}

    @classmethod
    def from_wire(cls, data: object, max_stderr: int = MAX_STDERR_BYTES, max_items: int | None = None) -> InteractReply:
        data = _reply(data)
        items = _field(data, "reports", list)
        if max_items is not None and len(items) > max_items:
            raise SandboxProtocolError(f"{len(items)} interaction reports for {max_items} tests")
        return cls([InteractionReport.from_wire(item, max_stderr) for item in items], _isolation(data))


@dataclass
class SelfTestReply:
    ok: bool
    detail: str
    toolchain: str | None = None  # as in CompileReply

    def to_wire(self) -> dict:
        return {"version": VERSION, "ok": self.ok, "detail": self.detail, "toolchain": self.toolchain}


@dataclass
class WarmUpReply:
    """The environment is up and ran nothing."""

    def to_wire(self) -> dict:
        return {"version": VERSION, "warm": True}

    @classmethod
    def from_wire(cls, data: object) -> WarmUpReply:
        if _reply(data).get("warm") is not True:
            raise SandboxProtocolError("a warm-up reply must say warm: true")
        return cls()


def error_reply(reason: str, code: str | None = None) -> dict:
    """The handler's refusal; `code` names the ones the worker acts on (VALIDATOR_UNKNOWN)."""
    return {"version": VERSION, "error": reason, **({"code": code} if code else {})}


# The handler was sent a validator by reference that it does not hold (another, or a new, execution
# environment): the worker sends the same request again with the validator's files.
VALIDATOR_UNKNOWN = "validator_unknown"
