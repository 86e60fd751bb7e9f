"""A typed Python client of the judge's HTTP API (standard library only: nothing to install next to
a product's own backend), and the check of a result webhook.

    client = JudgeClient("http://127.0.0.1:8080", token)
    accepted = client.submit("aplusb", "python", source)
    result = client.wait(accepted.submission_id)          # polls until JUDGED or FAILED
    print(result.verdict, result.time_ms)

    guard = webhook_guard(secret)                         # one per receiving process
    message = verify_webhook(guard, body, headers)        # the CompletionMessage dict, or WebhookRefused

Every refusal of the API is an `ApiError` with its HTTP status and machine-readable `code`
(`rate_limited` carries `retry_after_s`).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, fields

from contracts.webhooks import DEFAULT_TOLERANCE_S, ReplayGuard, WebhookRefused

FINAL_STATUSES = frozenset({"JUDGED", "FAILED"})


class ApiError(RuntimeError):
    def __init__(self, status: int, code: str, message: str, body: dict | None = None,
                 retry_after_s: int | None = None):
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message, self.body, self.retry_after_s = status, code, message, body or {}, retry_after_s


@dataclass(frozen=True)
class Accepted:
    submission_id: str
    status: str
    replayed: bool  # an earlier request with the same Idempotency-Key made this submission


@dataclass(frozen=True)
class Submission:
    submission_id: str
    problem_id: str
    language: str
    status: str  # QUEUED, JUDGING, JUDGED, FAILED
    verdict: str | None
    score: float | None
    time_ms: int | None
    memory_kb: int | None
    tests: list[dict]
    compile_output: str | None
    failure_reason: str | None
    created_at: str
    updated_at: str

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class Language:
    name: str
    display_name: str
    compiler: str
    compiler_version: str | None
    version_reported_at: str | None
    source_file_name: str
    extensions: list[str]
    compile_command: str | None
    run_command: str


@dataclass(frozen=True)
class Sample:
    name: str
    input: str
    output: str | None
    truncated: bool


@dataclass(frozen=True)
class Problem:
    problem_id: str
    name: str
    type: str
    limits: dict
    may_submit: bool
    samples: list[Sample] | None = None  # only from problem(); None if you may not submit


def _build(cls, data: dict):
    """A dataclass from a JSON object, ignoring fields a newer server adds."""
    return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


class JudgeClient:
    def __init__(self, base_url: str, token: str, *, timeout_s: float = 30):
        self.base_url, self.token, self.timeout_s = base_url.rstrip("/"), token, timeout_s

    # ---- submissions -----------------------------------------------------------------------------

    def submit(self, problem_id: str, language: str, source_code: str, *,
               idempotency_key: str | None = None) -> Accepted:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body, response_headers = self._call("POST", "/v1/submissions", {
            "problem_id": problem_id, "language": language, "source_code": source_code}, headers)
        return Accepted(body["submission_id"], body["status"], response_headers.get("Idempotent-Replayed") == "true")

    def get(self, submission_id: str) -> Submission:
        body, _ = self._call("GET", f"/v1/submissions/{urllib.parse.quote(submission_id, safe='')}")
        return _build(Submission, body)

    def wait(self, submission_id: str, *, timeout_s: float = 300, poll_s: float = 0.5) -> Submission:
        """The submission once JUDGED or FAILED; TimeoutError if it is not by then."""
        deadline = time.monotonic() + timeout_s
        while True:
            submission = self.get(submission_id)
            if submission.final:
                return submission
            if time.monotonic() + poll_s > deadline:
                raise TimeoutError(f"submission {submission_id} still {submission.status} after {timeout_s:g} s")
            time.sleep(poll_s)

    # ---- discovery -------------------------------------------------------------------------------

    def languages(self) -> list[Language]:
        body, _ = self._call("GET", "/v1/languages")
        return [_build(Language, entry) for entry in body["languages"]]

    def problems(self) -> list[Problem]:
        body, _ = self._call("GET", "/v1/problems")
        return [_build(Problem, entry) for entry in body["problems"]]

    def problem(self, problem_id: str) -> Problem:
        body, _ = self._call("GET", f"/v1/problems/{urllib.parse.quote(problem_id, safe='')}")
        samples = body.get("samples")
        return _build(Problem, {**body, "samples": None if samples is None else [_build(Sample, s) for s in samples]})

    # ---- the wire --------------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: dict | None = None,
              headers: Mapping[str, str] | None = None) -> tuple[dict, Mapping[str, str]]:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return json.loads(response.read() or b"{}"), response.headers
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"error": "http_error", "message": raw[:200].decode(errors="replace")}
            retry = error.headers.get("Retry-After")
            raise ApiError(error.code, body.get("error", "http_error"), body.get("message", ""), body,
                           int(retry) if retry and retry.isdigit() else None) from None


def webhook_guard(secret: bytes, *, tolerance_s: float = DEFAULT_TOLERANCE_S, max_entries: int = 10_000) -> ReplayGuard:
    """The receiver's replay memory (contracts.webhooks.ReplayGuard): keep one per process."""
    return ReplayGuard(secret, tolerance_s=tolerance_s, max_entries=max_entries)


def verify_webhook(guard: ReplayGuard, body: bytes, headers: Mapping[str, str]) -> dict:
    """A delivery's CompletionMessage once its signature, age and novelty are checked; WebhookRefused
    (with `.code`) otherwise."""
    guard.check(body, headers)
    return json.loads(body)


__all__ = ["Accepted", "ApiError", "JudgeClient", "Language", "Problem", "Sample", "Submission", "WebhookRefused",
           "verify_webhook", "webhook_guard"]
