"""The messages between the hops of the pipeline, versioned and validated at every boundary.

- SubmissionMessage v1: intake -> submission queue -> dispatcher -> worker (the dispatcher adds
  `dispatch`; the sweeper's re-send carries `prior_attempts`).
- CompletionMessage v1: worker -> completion queue -> consumer.
- ProgressMessage v1 (`"type": "progress"`): worker -> completion queue (and webhook) while judging.
- Runs on custom input have their own messages on the same queues: contracts/runs.py, which also
  tells the kinds apart (`queue_message`, `completion_queue_message`).
- FailureRecord: Lambda's own on-failure destination record for a worker invocation; the consumer
  turns it into a FAILED submission.
- Status and `should_apply`: the submission states and the one rule for which update may replace
  which, shared by the consumer and the worker's optional direct database update.

Every parser raises `MessageError` (a ValueError) with a message that names the bad field, so a
malformed message is reported and dropped instead of crashing the hop that read it. Unknown fields are
refused: adding a field means a new version.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from contracts.errors import MessageError
from contracts.result import validate_result_json
from judge.languages import LANGUAGES as LANGUAGE_TABLE

VERSION = 1

# The source file name per language is part of the contract: intake writes it, workers read it.
SOURCE_NAMES: dict[str, str] = {name: language.source_name for name, language in LANGUAGE_TABLE.items()}
LANGUAGES = tuple(SOURCE_NAMES)

# What intake accepts and a worker will judge: the same number at both ends.
MAX_SOURCE_BYTES = 64 * 1024
# SQS takes 256 KiB per message; a completion keeps room for its envelope.
MAX_RESULT_BYTES = 240 * 1024

# Ids end up in S3 keys and SQL; keep them to a safe alphabet. Always used with fullmatch: `$` would
# let a trailing newline through, and MySQL's PAD SPACE collations match "id " to "id".
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_S3_PATH = re.compile(r"^s3://(?P<bucket>[^/]+)/submissions/(?P<id>[^/]+)/(?P<name>[^/]+)$")


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


@dataclass(frozen=True)
class FieldRule:
    """One field's rule, declared once: the message parsers refuse what it refuses, and intake answers
    422 with `code` for the same values, so no row is written for a message a hop would refuse."""

    name: str
    code: str  # machine-readable, the API's `error`
    rule: str  # what a good value is, in words
    accepts: Callable[[str], bool]

    def problem(self, value: object) -> str | None:
        """Why `value` breaks the rule (a sentence naming the field), or None when it keeps it."""
        if isinstance(value, str) and value and self.accepts(value):
            return None
        return f"{self.name} {self.rule}, got {value!r:.80}"


_ID_RULE = "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
SUBMISSION_ID = FieldRule("submission_id", "invalid_submission_id", _ID_RULE, is_id)
PROBLEM_ID = FieldRule("problem_id", "invalid_problem_id", _ID_RULE, is_id)
USER_ID = FieldRule("user_id", "invalid_user_id", _ID_RULE, is_id)
LANGUAGE = FieldRule("language", "unknown_language", f"must be one of {', '.join(LANGUAGES)}",
                     SOURCE_NAMES.__contains__)


# "full" judges every test; "samples" only data/sample, each test's output kept (they are public).
# Optional in a SubmissionMessage: absent is "full", and a worker that predates modes refuses a
# "samples" message as having an unknown field (safe: it is not judged as a full one).
MODES = ("full", "samples")


# A rejudge's attempts start above every earlier one: rejudge n judges at n * REJUDGE_STEP + the
# delivery's receive count (which never reaches the step: the queue's maxReceiveCount is far below).
# Optional in a SubmissionMessage (`attempt_base`), absent for the first judging.
REJUDGE_STEP = 1000


class Status(StrEnum):
    QUEUED = "QUEUED"
    JUDGING = "JUDGING"
    JUDGED = "JUDGED"
    FAILED = "FAILED"


FINAL = frozenset({Status.JUDGED, Status.FAILED})
COMPLETION_STATUSES = (Status.JUDGING.value, Status.JUDGED.value, Status.FAILED.value)


def should_apply(current: str, current_attempt: int, new: str, new_attempt: int) -> bool:
    """Whether a status update may replace the row's state. The rules, in order:

    1. An older attempt never replaces a newer one (a late message from a superseded run).
    2. JUDGING never replaces a final state (a run that starts late must not hide a verdict).
    3. JUDGED is final; only a JUDGED of a strictly newer attempt replaces it (a rejudge). A FAILED
       never replaces a JUDGED: a crashed duplicate run says nothing about the verdict already found.
    4. FAILED gives way to a JUDGED of the same or a newer attempt (the worker's Lambda retry
       succeeded after the failure record, or the two raced), and to a FAILED of a newer attempt.
    5. QUEUED/JUDGING give way to anything of the same or a newer attempt, except a repeat of the
       same JUDGING.
    Duplicates (same status, same attempt) are therefore no-ops: the first delivery wins.
    """
    current, new = Status(current), Status(new)
    if new_attempt < current_attempt:
        return False
    if new is Status.JUDGING:
        return current is Status.QUEUED or (current is Status.JUDGING and new_attempt > current_attempt)
    if current is Status.JUDGED:
        return new is Status.JUDGED and new_attempt > current_attempt
    if current is Status.FAILED:
        return new is Status.JUDGED or new_attempt > current_attempt
    return True


class WireMessage:
    """What every queue message shares: compact, sorted JSON out, and in, `from_dict`'s validation.
    `_checked` builds one from fields `from_dict` has validated (`__post_init__`, which validates by
    a round trip through `from_dict`, would only do it again)."""

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str | bytes | dict):
        return cls.from_dict(_loads(body, cls.__name__))

    @classmethod
    def _checked(cls, **fields):
        message = object.__new__(cls)
        for name, value in fields.items():
            object.__setattr__(message, name, value)
        return message


def _loads(body: str | bytes | dict, what: str) -> dict:
    if isinstance(body, dict):
        return body
    try:
        data = json.loads(body)
    except (ValueError, TypeError) as exc:  # UnicodeDecodeError is a ValueError
        raise MessageError(f"{what}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MessageError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


def _check_keys(data: dict, required: set[str], optional: set[str], what: str) -> None:
    missing = sorted(required - data.keys())
    if missing:
        raise MessageError(f"{what}: missing field(s) {', '.join(missing)}")
    unknown = sorted(data.keys() - required - optional)
    if unknown:
        raise MessageError(f"{what}: unknown field(s) {', '.join(unknown)}")


def _str(data: dict, key: str, what: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise MessageError(f"{what}: {key} must be a non-empty string, got {value!r:.80}")
    return value


def _field(data: dict, rule: FieldRule, what: str) -> str:
    problem = rule.problem(data[rule.name])
    if problem:
        raise MessageError(f"{what}: {problem}")
    return data[rule.name]


def _int(data: dict, key: str, what: str, *, minimum: int = 0) -> int:
    value = data[key]
    # bool is an int in Python; true/false in JSON is a bug at the sender.
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise MessageError(f"{what}: {key} must be an integer >= {minimum}, got {value!r:.80}")
    return value


def _version(data: dict, what: str) -> None:
    v = data.get("version")
    if v != VERSION or isinstance(v, bool):
        raise MessageError(f"{what}: unsupported version {v!r} (expected {VERSION})")


def s3_code_path(bucket: str, submission_id: str, language: str) -> str:
    return f"s3://{bucket}/submissions/{submission_id}/{SOURCE_NAMES[language]}"


@dataclass(frozen=True)
class Dispatch:
    """Added by the dispatcher: which delivery of the queue message this invocation comes from."""

    receive_count: int
    message_id: str

    def to_dict(self) -> dict:
        return {"receive_count": self.receive_count, "message_id": self.message_id}

    @classmethod
    def from_dict(cls, data: Any) -> Dispatch:
        what = "dispatch"
        if not isinstance(data, dict):
            raise MessageError(f"{what}: expected an object")
        _check_keys(data, {"receive_count", "message_id"}, set(), what)
        return cls(_int(data, "receive_count", what, minimum=1), _str(data, "message_id", what))


@dataclass(frozen=True)
class SubmissionMessage(WireMessage):
    submission_id: str
    problem_id: str
    user_id: str
    language: str
    s3_code_path: str
    dispatch: Dispatch | None = None
    # Judging attempts before this message was sent (the sweeper's re-send of a stuck submission): its
    # runs report attempts above them, so their results are not taken for stale ones. Absent when 0.
    prior_attempts: int = 0
    version: int = VERSION
    mode: str = "full"
    attempt_base: int = 0  # a rejudge's: n * REJUDGE_STEP

    def __post_init__(self) -> None:
        # Constructing one validates it, so a sender cannot produce what a receiver would refuse.
        self.from_dict(self.to_dict())

    @property
    def bucket(self) -> str:
        return _S3_PATH.match(self.s3_code_path)["bucket"]

    @property
    def key(self) -> str:
        return self.s3_code_path.split("/", 3)[3]

    @property
    def attempt(self) -> int:
        """The delivery number the worker reports back as CompletionMessage.attempt: above every earlier
        judging's for a rejudge (`attempt_base`) and for the sweeper's re-send (`prior_attempts`)."""
        return self.attempt_base + self.prior_attempts + (self.dispatch.receive_count if self.dispatch else 0)

    def with_dispatch(self, receive_count: int, message_id: str) -> SubmissionMessage:
        return dataclasses.replace(self, dispatch=Dispatch(receive_count, message_id))

    def resent_after(self, attempt: int) -> SubmissionMessage:
        """The same submission sent again by the sweeper, its runs numbered after `attempt` (the
        attempt it reached, which includes any rejudge's base)."""
        return dataclasses.replace(self, dispatch=None, prior_attempts=max(0, attempt - self.attempt_base))

    def to_dict(self) -> dict:
        d = {
            "version": self.version,
            "submission_id": self.submission_id,
            "problem_id": self.problem_id,
            "user_id": self.user_id,
            "language": self.language,
            "s3_code_path": self.s3_code_path,
        }
        if self.dispatch is not None:
            d["dispatch"] = self.dispatch.to_dict() if isinstance(self.dispatch, Dispatch) else self.dispatch
        if self.prior_attempts:
            d["prior_attempts"] = self.prior_attempts
        if self.mode != "full":
            d["mode"] = self.mode
        if self.attempt_base:
            d["attempt_base"] = self.attempt_base
        return d

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionMessage:
        what = "SubmissionMessage"
        if not isinstance(data, dict):
            raise MessageError(f"{what}: expected an object")
        _check_keys(data, {"version", "submission_id", "problem_id", "user_id", "language", "s3_code_path"},
                    {"dispatch", "prior_attempts", "mode", "attempt_base"}, what)
        _version(data, what)
        mode = data.get("mode", "full")
        if mode not in MODES:
            raise MessageError(f"{what}: mode must be one of {', '.join(MODES)}, got {mode!r:.40}")
        base = _int(data, "attempt_base", what) if "attempt_base" in data else 0
        if base % REJUDGE_STEP:
            raise MessageError(f"{what}: attempt_base must be a multiple of {REJUDGE_STEP}, got {base}")
        sid = _field(data, SUBMISSION_ID, what)
        pid = _field(data, PROBLEM_ID, what)
        uid = _field(data, USER_ID, what)
        lang = _field(data, LANGUAGE, what)
        path = _str(data, "s3_code_path", what)
        m = _S3_PATH.match(path)
        if not m or not _BUCKET.match(m["bucket"]):
            raise MessageError(f"{what}: s3_code_path must be s3://<bucket>/submissions/<id>/<file>, got {path!r:.120}")
        if m["id"] != sid:
            raise MessageError(f"{what}: s3_code_path is for submission {m['id']!r}, not {sid!r}")
        if m["name"] != SOURCE_NAMES[lang]:
            raise MessageError(f"{what}: s3_code_path file must be {SOURCE_NAMES[lang]} for {lang}, got {m['name']!r}")
        dispatch = Dispatch.from_dict(data["dispatch"]) if data.get("dispatch") is not None else None
        prior = _int(data, "prior_attempts", what) if "prior_attempts" in data else 0
        return cls._checked(version=VERSION, submission_id=sid, problem_id=pid, user_id=uid, language=lang,
                            s3_code_path=path, dispatch=dispatch, prior_attempts=prior, mode=mode,
                            attempt_base=base)


def _json_size(value: object) -> int:
    return len(json.dumps(value, sort_keys=True, separators=(",", ":")))


def _cut(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[:max_chars] + "\n[truncated to fit the completion queue]"


def fit_result(result: dict, max_bytes: int = MAX_RESULT_BYTES) -> dict:
    """The result, made to fit one queue message: compile output and feedback are cut first, then
    tests beyond what fits are left out (the reason says how many). Verdict, score, times and
    memory are never touched."""
    if _json_size(result) <= max_bytes:
        return result
    fitted = {**result, "tests": [dict(t) for t in result.get("tests") or []]}
    for feedback_chars in (1024, 128, 0):
        fitted["compile_output"] = _cut(result.get("compile_output") or "", max(feedback_chars * 8, 2048))
        for test in fitted["tests"]:
            test["feedback"] = _cut(test.get("feedback") or "", feedback_chars) if feedback_chars else ""
        if _json_size(fitted) <= max_bytes:
            return fitted
    tests, kept = fitted["tests"], []
    budget = max_bytes - _json_size({**fitted, "tests": []}) - 200
    for test in tests:
        budget -= _json_size(test) + 1
        if budget < 0:
            break
        kept.append(test)
    note = f"{len(kept)} of {len(tests)} test results shown (the rest did not fit the completion queue)"
    return {**fitted, "tests": kept, "reason": f"{fitted['reason']}; {note}" if fitted.get("reason") else note}


def _check_result(result: dict, what: str) -> None:
    import jsonschema

    try:
        validate_result_json(result)
    except jsonschema.ValidationError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise MessageError(f"{what}: result is not a result v1 document at {where}: {error.message:.200}") from None


def _parse_utc(value: str, what: str) -> datetime:
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        raise MessageError(f"{what}: produced_at is not ISO-8601: {value!r:.60}") from None
    if ts.tzinfo is None or ts.utcoffset().total_seconds() != 0:
        raise MessageError(f"{what}: produced_at must be UTC with an explicit offset (Z or +00:00): {value!r:.60}")
    return ts


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class CompletionMessage(WireMessage):
    """One judging attempt's outcome. `attempt` is the dispatch receive_count of the run that produced it.

    JUDGING says a worker has started (no result, no reason); JUDGED carries the engine's result
    JSON (checked here against the result v1 schema); FAILED carries a reason and no result.
    """

    submission_id: str
    attempt: int
    status: str
    result: dict | None
    reason: str | None
    produced_at: str
    version: int = VERSION

    def __post_init__(self) -> None:
        self.from_dict(self.to_dict())

    @classmethod
    def judged(cls, submission_id: str, attempt: int, result: dict) -> CompletionMessage:
        return cls(submission_id, attempt, "JUDGED", fit_result(result), None, utc_now_iso())

    @classmethod
    def judging(cls, submission_id: str, attempt: int) -> CompletionMessage:
        return cls(submission_id, attempt, "JUDGING", None, None, utc_now_iso())

    @classmethod
    def failed(cls, submission_id: str, attempt: int, reason: str) -> CompletionMessage:
        return cls(submission_id, attempt, "FAILED", None, reason, utc_now_iso())

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "submission_id": self.submission_id,
            "attempt": self.attempt,
            "status": self.status,
            "result": self.result,
            "reason": self.reason,
            "produced_at": self.produced_at,
        }

    @classmethod
    def from_dict(cls, data: dict) -> CompletionMessage:
        what = "CompletionMessage"
        _check_keys(data, {"version", "submission_id", "attempt", "status", "result", "reason", "produced_at"},
                    set(), what)
        _version(data, what)
        sid = _field(data, SUBMISSION_ID, what)
        attempt = _int(data, "attempt", what)
        status = data["status"]
        if status not in COMPLETION_STATUSES:
            raise MessageError(f"{what}: status must be one of {', '.join(COMPLETION_STATUSES)}, got {status!r:.40}")
        result, reason = data["result"], data["reason"]
        if status == "JUDGED":
            if not isinstance(result, dict):
                raise MessageError(f"{what}: a JUDGED message needs a result object")
            _check_result(result, what)
            if reason is not None and not isinstance(reason, str):
                raise MessageError(f"{what}: reason must be a string or null")
        elif status == "JUDGING":
            if result is not None or reason is not None:
                raise MessageError(f"{what}: a JUDGING message has no result and no reason")
        else:
            if result is not None:
                raise MessageError(f"{what}: a FAILED message has no result")
            if not isinstance(reason, str) or not reason.strip():
                raise MessageError(f"{what}: a FAILED message needs a reason")
        produced_at = _str(data, "produced_at", what)
        _parse_utc(produced_at, what)
        return cls._checked(version=VERSION, submission_id=sid, attempt=attempt, status=status, result=result,
                            reason=reason, produced_at=produced_at)


PROGRESS_TYPE = "progress"


@dataclass(frozen=True)
class ProgressMessage(WireMessage):
    """Worker -> completion queue (and webhook) while judging: how many of the tests are done. Only
    news: the consumer stores it for the events stream, and a lost one is made up by the next."""

    submission_id: str
    attempt: int
    tests_done: int
    tests_total: int
    produced_at: str
    version: int = VERSION

    def __post_init__(self) -> None:
        self.from_dict(self.to_dict())

    @classmethod
    def now(cls, submission_id: str, attempt: int, tests_done: int, tests_total: int) -> ProgressMessage:
        return cls(submission_id, attempt, tests_done, tests_total, utc_now_iso())

    def to_dict(self) -> dict:
        return {"version": self.version, "type": PROGRESS_TYPE, "submission_id": self.submission_id,
                "attempt": self.attempt, "tests_done": self.tests_done, "tests_total": self.tests_total,
                "produced_at": self.produced_at}

    @classmethod
    def from_dict(cls, data: dict) -> ProgressMessage:
        what = "ProgressMessage"
        _check_keys(data, {"version", "type", "submission_id", "attempt", "tests_done", "tests_total", "produced_at"},
                    set(), what)
        _version(data, what)
        if data["type"] != PROGRESS_TYPE:
            raise MessageError(f"{what}: type must be {PROGRESS_TYPE!r}")
        sid = _field(data, SUBMISSION_ID, what)
        attempt = _int(data, "attempt", what)
        total = _int(data, "tests_total", what)
        done = _int(data, "tests_done", what)
        if done > total:
            raise MessageError(f"{what}: tests_done {done} is over tests_total {total}")
        produced_at = _str(data, "produced_at", what)
        _parse_utc(produced_at, what)
        return cls._checked(version=VERSION, submission_id=sid, attempt=attempt, tests_done=done,
                            tests_total=total, produced_at=produced_at)


@dataclass(frozen=True)
class FailureRecord:
    """A Lambda on-failure destination record for an asynchronous worker invocation.

    Shape (AWS): {"version": "1.0", "timestamp", "requestContext": {"requestId", "functionArn",
    "condition": "RetriesExhausted" | "EventAgeExceeded", "approximateInvokeCount"},
    "requestPayload": <the worker event>, "responseContext": {...}, "responsePayload": {...} | absent}.
    """

    submission: SubmissionMessage  # or a contracts.runs.RunMessage, for a run's invocation
    condition: str
    function_arn: str
    invoke_count: int | None
    error_type: str | None
    error_message: str | None

    @property
    def attempt(self) -> int:
        return self.submission.attempt

    @property
    def reason(self) -> str:
        fn = self.function_arn.rsplit(":function:", 1)[-1] if self.function_arn else ""
        parts = [f"worker {fn} gave up: {self.condition}" if fn else f"worker gave up: {self.condition}"]
        if self.invoke_count:
            parts.append(f"after {self.invoke_count} invocation(s)")
        if self.error_type or self.error_message:
            parts.append(f"- {self.error_type or 'Error'}: {self.error_message or ''}".rstrip(": "))
        return " ".join(parts)[:2000]

    @classmethod
    def from_json(cls, body: str | bytes | dict) -> FailureRecord:
        what = "FailureRecord"
        data = _loads(body, what)
        ctx = data.get("requestContext")
        if not isinstance(ctx, dict):
            raise MessageError(f"{what}: missing requestContext")
        condition = ctx.get("condition")
        if not isinstance(condition, str) or not condition:
            raise MessageError(f"{what}: requestContext.condition must be a non-empty string")
        payload = data.get("requestPayload")
        if isinstance(payload, str):  # some producers nest the event as a JSON string
            payload = _loads(payload, f"{what}.requestPayload")
        if not isinstance(payload, dict):
            raise MessageError(f"{what}: requestPayload must be the worker event object")
        try:
            if payload.get("type") == "run":  # a run's worker invocation (contracts/runs.py)
                from contracts.runs import RunMessage

                submission = RunMessage.from_dict(payload)
            else:
                submission = SubmissionMessage.from_dict(payload)
        except MessageError as exc:
            raise MessageError(f"{what}: requestPayload: {exc}") from None
        response = data.get("responsePayload")
        if isinstance(response, str):
            try:
                response = json.loads(response)
            except ValueError:
                response = {"errorMessage": response}
        if not isinstance(response, dict):
            response = {}
        count = ctx.get("approximateInvokeCount")
        return cls(
            submission=submission,
            condition=condition,
            function_arn=ctx.get("functionArn") if isinstance(ctx.get("functionArn"), str) else "",
            invoke_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            error_type=str(response["errorType"]) if response.get("errorType") else None,
            error_message=str(response["errorMessage"])[:1000] if response.get("errorMessage") else None,
        )
