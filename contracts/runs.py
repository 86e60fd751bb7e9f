"""Runs on custom input (the "Run" button): the messages of a run, beside the submission's.

- RunMessage v1: intake -> submission queue -> dispatcher -> worker, like a SubmissionMessage but
  with no problem: a program, its stdin (both in S3 under runs/<id>/) and the limits intake chose.
  `"type": "run"` tells the two apart on the shared queue (`queue_message`).
- RunCompletionMessage v1: worker -> completion queue -> consumer (`"type": "run_completion"`):
  RUNNING when a worker starts, DONE with a run result (`check_run_result`), FAILED with a reason.
- `queue_message` and `completion_queue_message` read a message of any kind off a shared queue.

Validated at both ends by the same parsers as the submission's messages (contracts.messages): unknown
fields refused, every parser raises MessageError naming the bad field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from contracts.errors import MessageError
from contracts.messages import (
    _BUCKET,
    _ID_RULE,
    LANGUAGE,
    PROGRESS_TYPE,
    SOURCE_NAMES,
    USER_ID,
    VERSION,
    CompletionMessage,
    Dispatch,
    FieldRule,
    ProgressMessage,
    SubmissionMessage,
    WireMessage,
    _check_keys,
    _field,
    _int,
    _loads,
    _parse_utc,
    _str,
    _version,
    is_id,
    utc_now_iso,
)

RUN_ID = FieldRule("run_id", "invalid_run_id", _ID_RULE, is_id)
RUN_TYPE, RUN_COMPLETION_TYPE = "run", "run_completion"
STDIN_NAME = "stdin.txt"
MAX_STDIN_BYTES = 256 * 1024  # inline in the sandbox request (pipeline.lambda_runner.INLINE_INPUT_LIMIT)
# What a run may ask for at most, whatever intake is configured with: one call of the sandbox function.
MAX_CPU_S, MIN_MEMORY_MIB, MAX_MEMORY_MIB, MAX_OUTPUT_MIB = 10.0, 16, 2048, 16
# A program may print up to the output limit; what is kept of stdout and stderr for the client.
KEPT_OUTPUT_BYTES = 64 * 1024

_RUN_PATH = re.compile(r"^s3://(?P<bucket>[^/]+)/runs/(?P<id>[^/]+)/(?P<name>[^/]+)$")
# The limit verdicts a run can end with; None when it exited 0 within its limits.
LIMIT_VERDICTS = ("TIME_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED", "OUTPUT_LIMIT_EXCEEDED", "RUNTIME_ERROR")
RUN_STATUSES = ("QUEUED", "RUNNING", "DONE", "FAILED")
RUN_FINAL = frozenset({"DONE", "FAILED"})


def run_s3_path(bucket: str, run_id: str, name: str) -> str:
    return f"s3://{bucket}/runs/{run_id}/{name}"


def _number(data: dict, key: str, what: str, low: float, high: float) -> float:
    value = data[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise MessageError(f"{what}: {key} must be a number in [{low:g}, {high:g}], got {value!r:.40}")
    return value


@dataclass(frozen=True)
class RunLimits:
    """What one run may use: CPU seconds (the wall limit follows from it, as for submissions), memory,
    and stdout before the run is an OUTPUT_LIMIT_EXCEEDED."""

    cpu_time_s: float = 2.0
    memory_mib: int = 256
    output_mib: int = 1

    def __post_init__(self) -> None:
        self.from_dict(self.to_dict())

    def to_dict(self) -> dict:
        return {"cpu_time_s": self.cpu_time_s, "memory_mib": self.memory_mib, "output_mib": self.output_mib}

    @classmethod
    def from_dict(cls, data: Any) -> RunLimits:
        what = "RunMessage.limits"
        if not isinstance(data, dict):
            raise MessageError(f"{what}: expected an object")
        _check_keys(data, {"cpu_time_s", "memory_mib", "output_mib"}, set(), what)
        cpu = _number(data, "cpu_time_s", what, 0.1, MAX_CPU_S)
        memory = _number(data, "memory_mib", what, MIN_MEMORY_MIB, MAX_MEMORY_MIB)
        output = _number(data, "output_mib", what, 1, MAX_OUTPUT_MIB)
        if not all(isinstance(v, int) for v in (memory, output)):
            raise MessageError(f"{what}: memory_mib and output_mib are integers")
        limits = object.__new__(cls)  # skip __post_init__: this *is* the validation
        for k, v in dict(cpu_time_s=float(cpu), memory_mib=memory, output_mib=output).items():
            object.__setattr__(limits, k, v)
        return limits


def _run_path(data: dict, key: str, run_id: str, name: str, what: str) -> str:
    path = _str(data, key, what)
    m = _RUN_PATH.match(path)
    if not m or not _BUCKET.match(m["bucket"]):
        raise MessageError(f"{what}: {key} must be s3://<bucket>/runs/<id>/<file>, got {path!r:.120}")
    if m["id"] != run_id:
        raise MessageError(f"{what}: {key} is for run {m['id']!r}, not {run_id!r}")
    if m["name"] != name:
        raise MessageError(f"{what}: {key} file must be {name}, got {m['name']!r}")
    return path


@dataclass(frozen=True)
class RunMessage(WireMessage):
    run_id: str
    user_id: str
    language: str
    s3_code_path: str
    s3_stdin_path: str
    limits: RunLimits
    dispatch: Dispatch | None = None
    version: int = VERSION

    def __post_init__(self) -> None:
        self.from_dict(self.to_dict())

    @property
    def attempt(self) -> int:
        return self.dispatch.receive_count if self.dispatch else 0

    @staticmethod
    def bucket_and_key(path: str) -> tuple[str, str]:
        """(bucket, key) of one of this run's S3 paths."""
        bucket, key = path.removeprefix("s3://").split("/", 1)
        return bucket, key

    def with_dispatch(self, receive_count: int, message_id: str) -> RunMessage:
        return RunMessage(self.run_id, self.user_id, self.language, self.s3_code_path, self.s3_stdin_path,
                          self.limits, Dispatch(receive_count, message_id))

    def to_dict(self) -> dict:
        d = {"version": self.version, "type": RUN_TYPE, "run_id": self.run_id, "user_id": self.user_id,
             "language": self.language, "s3_code_path": self.s3_code_path, "s3_stdin_path": self.s3_stdin_path,
             "limits": self.limits.to_dict() if isinstance(self.limits, RunLimits) else self.limits}
        if self.dispatch is not None:
            d["dispatch"] = self.dispatch.to_dict() if isinstance(self.dispatch, Dispatch) else self.dispatch
        return d

    @classmethod
    def from_dict(cls, data: dict) -> RunMessage:
        what = "RunMessage"
        if not isinstance(data, dict):
            raise MessageError(f"{what}: expected an object")
        _check_keys(data, {"version", "type", "run_id", "user_id", "language", "s3_code_path", "s3_stdin_path",
                           "limits"}, {"dispatch"}, what)
        _version(data, what)
        if data["type"] != RUN_TYPE:
            raise MessageError(f"{what}: type must be {RUN_TYPE!r}, got {data['type']!r:.40}")
        rid = _field(data, RUN_ID, what)
        uid = _field(data, USER_ID, what)
        lang = _field(data, LANGUAGE, what)
        code = _run_path(data, "s3_code_path", rid, SOURCE_NAMES[lang], what)
        stdin = _run_path(data, "s3_stdin_path", rid, STDIN_NAME, what)
        limits = RunLimits.from_dict(data["limits"])
        dispatch = Dispatch.from_dict(data["dispatch"]) if data.get("dispatch") is not None else None
        return cls._checked(version=VERSION, run_id=rid, user_id=uid, language=lang, s3_code_path=code,
                            s3_stdin_path=stdin, limits=limits, dispatch=dispatch)


# ---- the result of a run --------------------------------------------------------------------------

_RESULT_FIELDS = {
    "compiled": bool, "compile_output": str, "stdout": str, "stdout_truncated": bool, "stderr": str,
    "stderr_truncated": bool, "exit_code": (int, type(None)), "signal": (int, type(None)), "cpu_ms": int,
    "wall_ms": int, "memory_kb": int, "limit_verdict": (str, type(None)),
}


def kept_text(data: bytes, limit: int = KEPT_OUTPUT_BYTES) -> tuple[str, bool]:
    """Output as text for the client: its first `limit` bytes, and whether it was cut."""
    if len(data) <= limit:
        return data.decode("utf-8", errors="replace"), False
    return data[:limit].decode("utf-8", errors="ignore"), True  # a character cut in two is dropped


def check_run_result(result: Any, what: str = "RunResult") -> dict:
    """A run's result: what it printed (kept up to KEPT_OUTPUT_BYTES, marked when cut), how it ended
    and what it used. Not compiled: compile_output says why, and nothing ran."""
    if not isinstance(result, dict):
        raise MessageError(f"{what}: expected an object")
    _check_keys(result, set(_RESULT_FIELDS), set(), what)
    for key, kind in _RESULT_FIELDS.items():
        value = result[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise MessageError(f"{what}: {key} has the wrong type ({type(value).__name__})")
    for key in ("stdout", "stderr"):
        if len(result[key]) > KEPT_OUTPUT_BYTES:
            raise MessageError(f"{what}: {key} is over {KEPT_OUTPUT_BYTES} bytes")
    for key in ("cpu_ms", "wall_ms", "memory_kb"):
        _int(result, key, what)
    if result["limit_verdict"] is not None and result["limit_verdict"] not in LIMIT_VERDICTS:
        raise MessageError(f"{what}: limit_verdict must be one of {', '.join(LIMIT_VERDICTS)} or null")
    return result


@dataclass(frozen=True)
class RunCompletionMessage(WireMessage):
    run_id: str
    attempt: int
    status: str  # RUNNING, DONE or FAILED
    result: dict | None
    reason: str | None
    produced_at: str
    version: int = VERSION

    def __post_init__(self) -> None:
        self.from_dict(self.to_dict())

    @classmethod
    def running(cls, run_id: str, attempt: int) -> RunCompletionMessage:
        return cls(run_id, attempt, "RUNNING", None, None, utc_now_iso())

    @classmethod
    def done(cls, run_id: str, attempt: int, result: dict) -> RunCompletionMessage:
        return cls(run_id, attempt, "DONE", result, None, utc_now_iso())

    @classmethod
    def failed(cls, run_id: str, attempt: int, reason: str) -> RunCompletionMessage:
        return cls(run_id, attempt, "FAILED", None, reason[:2000], utc_now_iso())

    def to_dict(self) -> dict:
        return {"version": self.version, "type": RUN_COMPLETION_TYPE, "run_id": self.run_id,
                "attempt": self.attempt, "status": self.status, "result": self.result, "reason": self.reason,
                "produced_at": self.produced_at}

    @classmethod
    def from_dict(cls, data: dict) -> RunCompletionMessage:
        what = "RunCompletionMessage"
        _check_keys(data, {"version", "type", "run_id", "attempt", "status", "result", "reason", "produced_at"},
                    set(), what)
        _version(data, what)
        if data["type"] != RUN_COMPLETION_TYPE:
            raise MessageError(f"{what}: type must be {RUN_COMPLETION_TYPE!r}")
        rid = _field(data, RUN_ID, what)
        attempt = _int(data, "attempt", what)
        status, result, reason = data["status"], data["result"], data["reason"]
        if status == "DONE":
            check_run_result(result, f"{what}.result")
            if reason is not None:
                raise MessageError(f"{what}: a DONE message has no reason")
        elif status == "RUNNING":
            if result is not None or reason is not None:
                raise MessageError(f"{what}: a RUNNING message has no result and no reason")
        elif status == "FAILED":
            if result is not None or not isinstance(reason, str) or not reason.strip():
                raise MessageError(f"{what}: a FAILED message has a reason and no result")
        else:
            raise MessageError(f"{what}: status must be RUNNING, DONE or FAILED, got {status!r:.40}")
        produced_at = _str(data, "produced_at", what)
        _parse_utc(produced_at, what)
        return cls._checked(version=VERSION, run_id=rid, attempt=attempt, status=status, result=result,
                            reason=reason, produced_at=produced_at)


# ---- telling the kinds apart on a shared queue ------------------------------------------------------


def _type_of(body: str | bytes | dict, what: str) -> tuple[dict, object]:
    data = _loads(body, what)
    return data, data.get("type")


def queue_message(body: str | bytes | dict) -> SubmissionMessage | RunMessage:
    """A submission queue message (or worker event), of either kind."""
    data, kind = _type_of(body, "queue message")
    return RunMessage.from_dict(data) if kind == RUN_TYPE else SubmissionMessage.from_dict(data)


def completion_queue_message(body: str | bytes | dict) -> CompletionMessage | ProgressMessage | RunCompletionMessage:
    """A completion queue message of any kind: a submission's completion has no type (it came first)."""
    data, kind = _type_of(body, "completion message")
    if kind == RUN_COMPLETION_TYPE:
        return RunCompletionMessage.from_dict(data)
    if kind == PROGRESS_TYPE:
        return ProgressMessage.from_dict(data)
    return CompletionMessage.from_dict(data)


def failure_for(body: str | bytes | dict, reason: str) -> CompletionMessage | RunCompletionMessage | None:
    """The FAILED answer to a queue message that cannot be judged or run, for whichever it names;
    None when it names no valid submission or run id (no row can wait for it)."""
    try:
        data = _loads(body, "queue message")
        if data.get("type") == RUN_TYPE:
            return RunCompletionMessage.failed(data.get("run_id"), 0, reason)
        base = data.get("attempt_base", 0)  # a rejudge's FAILED must rank above what it replaces
        return CompletionMessage.failed(data.get("submission_id"), base if isinstance(base, int) else 0, reason)
    except (MessageError, TypeError, AttributeError):
        return None
