"""A typed Python client of the judge's HTTP API (standard library only: nothing to install next to
a product's own backend), and the check of a result webhook.

    client = JudgeClient("http://127.0.0.1:8080", token)
    accepted = client.submit("aplusb", "python", source)
    result = client.wait(accepted.submission_id)          # polls until JUDGED or FAILED
    print(result.verdict, result.time_ms)
    for event in client.events(accepted.submission_id):   # server-sent state changes, the last final
        print(event.data["status"], event.data["tests_done"], event.data["tests_total"])
    run = client.run("python", "print(input())", "hi")    # runs on custom input, waited for
    print(run.stdout, run.limit_verdict, run.cpu_ms)

    setter = JudgeClient(url, admin_token)                # problem setting needs an admin token
    setter.upload_problem(Path("aplusb.tar.gz").read_bytes(), restricted=True)   # id: the top directory
    setter.grant("aplusb", "carol"); setter.grants("aplusb"); setter.revoke("aplusb", "carol")

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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields

from contracts.webhooks import DEFAULT_TOLERANCE_S, ReplayGuard, WebhookRefused

FINAL_STATUSES = frozenset({"JUDGED", "FAILED"})
RUN_FINAL_STATUSES = frozenset({"DONE", "FAILED"})


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
    mode: str = "full"
    tests_done: int | None = None  # while JUDGING
    tests_total: int | None = None
    samples: list[SampleOutcome] | None = None  # mode "samples", once judged
    # what it was judged before each rejudge, oldest first: attempt, status, verdict, ..., rejudged_at
    history: list[dict] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class SampleOutcome:
    name: str
    verdict: str
    output: str | None  # None for interactive and multi-pass problems
    expected_output: str | None
    truncated: bool


@dataclass(frozen=True)
class Run:
    run_id: str
    language: str
    status: str  # QUEUED, RUNNING, DONE, FAILED
    limits: dict
    compiled: bool | None
    compile_output: str | None
    stdout: str | None
    stdout_truncated: bool | None
    stderr: str | None
    stderr_truncated: bool | None
    exit_code: int | None
    signal: int | None
    cpu_ms: int | None
    wall_ms: int | None
    memory_kb: int | None
    limit_verdict: str | None  # TIME_LIMIT_EXCEEDED, MEMORY_LIMIT_EXCEEDED, OUTPUT_LIMIT_EXCEEDED, RUNTIME_ERROR
    failure_reason: str | None
    created_at: str
    updated_at: str

    @property
    def final(self) -> bool:
        return self.status in RUN_FINAL_STATUSES


@dataclass(frozen=True)
class Event:
    event: str  # "state" (then "timeout" or "gone" if the stream ended early)
    data: dict  # status, tests_done, tests_total, verdict


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


@dataclass(frozen=True)
class ProblemUpload:
    problem_id: str
    name: str
    type: str
    restricted: bool
    limits: dict
    package_sha256: str
    package_bytes: int
    created: bool  # a new problem; False: a new version of one
    changed: bool  # False: the same package and settings as before
    warnings: list[str]


@dataclass(frozen=True)
class Grant:
    problem_id: str
    user_id: str
    user_name: str
    granted_at: str


def _build(cls, data: dict):
    """A dataclass from a JSON object, ignoring fields a newer server adds."""
    return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


class JudgeClient:
    def __init__(self, base_url: str, token: str, *, timeout_s: float = 30):
        self.base_url, self.token, self.timeout_s = base_url.rstrip("/"), token, timeout_s

    # ---- submissions -----------------------------------------------------------------------------

    def submit(self, problem_id: str, language: str, source_code: str, *,
               idempotency_key: str | None = None, mode: str = "full") -> Accepted:
        """mode "samples": judge data/sample only; the judged submission's `samples` hold each
        sample's output next to the expected one."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        payload = {"problem_id": problem_id, "language": language, "source_code": source_code}
        if mode != "full":
            payload["mode"] = mode
        body, response_headers = self._call("POST", "/v1/submissions", payload, headers)
        return Accepted(body["submission_id"], body["status"], response_headers.get("Idempotent-Replayed") == "true")

    def get(self, submission_id: str) -> Submission:
        body, _ = self._call("GET", f"/v1/submissions/{urllib.parse.quote(submission_id, safe='')}")
        samples = body.get("samples")
        return _build(Submission, {**body, "samples": None if samples is None else [
            _build(SampleOutcome, sample) for sample in samples]})

    def events(self, submission_id: str) -> Iterator[Event]:
        """The submission's state changes as the server sends them (server-sent events), until the
        final one (JUDGED or FAILED): no polling."""
        request = self._request("GET", f"/v1/submissions/{urllib.parse.quote(submission_id, safe='')}/events",
                                accept="text/event-stream")
        with self._open(request) as response:
            event, data = "message", []
            for raw in response:
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line:  # a blank line ends an event
                    if data:
                        yield Event(event, json.loads("\n".join(data)))
                    event, data = "message", []
                elif line.startswith("event:"):
                    event = line[len("event:"):].strip()
                elif line.startswith("data:"):
                    data.append(line[len("data:"):].strip())

    def rejudge(self, problem_id: str, verdicts: list[str] | None = None) -> list[str]:
        """Queue the problem's final submissions again (only those with `verdicts` if given; needs an
        admin token); the ids queued. Their earlier results stay, in `history`."""
        body, _ = self._call("POST", f"/v1/problems/{urllib.parse.quote(problem_id, safe='')}/rejudge",
                             {"verdicts": verdicts} if verdicts else {})
        return body["submission_ids"]

    # ---- problem setting (admin token) -----------------------------------------------------------

    def upload_problem(self, archive: bytes, *, problem_id: str | None = None,
                       restricted: bool | None = None) -> ProblemUpload:
        """POST a package archive (zip or tar.gz bytes); the problem id defaults to the archive's
        top-level directory, `restricted` None keeps a problem's setting. An invalid package is an
        ApiError whose `body["problems"]` lists every problem found."""
        query = {k: v for k, v in (("problem_id", problem_id),
                                   ("restricted", None if restricted is None else str(restricted).lower())) if v}
        path = "/v1/problems" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        request = self._request("POST", path, headers={"Content-Type": "application/octet-stream"})
        request.data = archive
        with self._open(request) as response:
            return _build(ProblemUpload, json.loads(response.read()))

    def grant(self, problem_id: str, user: str) -> Grant:
        """Let `user` (id or name) submit to the problem; the same grant as `judge-admin grant`."""
        body, _ = self._call("PUT", self._grants_path(problem_id, user))
        return _build(Grant, body)

    def revoke(self, problem_id: str, user: str) -> bool:
        """Take the grant back; False if there was none."""
        body, _ = self._call("DELETE", self._grants_path(problem_id, user))
        return body["revoked"]

    def grants(self, problem_id: str) -> list[Grant]:
        body, _ = self._call("GET", self._grants_path(problem_id))
        return [_build(Grant, entry) for entry in body["grants"]]

    @staticmethod
    def _grants_path(problem_id: str, user: str | None = None) -> str:
        path = f"/v1/problems/{urllib.parse.quote(problem_id, safe='')}/grants"
        return path if user is None else f"{path}/{urllib.parse.quote(user, safe='')}"

    # ---- runs on custom input --------------------------------------------------------------------

    def start_run(self, language: str, source_code: str, stdin: str = "", *, wait_s: float = 0) -> Run | str:
        """POST /v1/runs: the Run if it finished within `wait_s` (at most 10), else its run id."""
        query = f"?wait={wait_s:g}" if wait_s else ""
        body, _ = self._call("POST", f"/v1/runs{query}", {"language": language, "source_code": source_code,
                                                         "stdin": stdin})
        return _build(Run, body) if "status" in body and body["status"] != "QUEUED" else body["run_id"]

    def get_run(self, run_id: str, *, wait_s: float = 0) -> Run:
        query = f"?wait={wait_s:g}" if wait_s else ""
        body, _ = self._call("GET", f"/v1/runs/{urllib.parse.quote(run_id, safe='')}{query}")
        return _build(Run, body)

    def run(self, language: str, source_code: str, stdin: str = "", *, timeout_s: float = 120) -> Run:
        """Run a program on `stdin` and wait for it (the server holds each request up to 10 s)."""
        deadline = time.monotonic() + timeout_s
        started = self.start_run(language, source_code, stdin, wait_s=10)
        while not isinstance(started, Run) or not started.final:
            if time.monotonic() > deadline:
                raise TimeoutError(f"run still not done after {timeout_s:g} s")
            started = self.get_run(started if isinstance(started, str) else started.run_id, wait_s=10)
        return started

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

    def _request(self, method: str, path: str, payload: dict | None = None,
                 headers: Mapping[str, str] | None = None, accept: str = "application/json") -> urllib.request.Request:
        data = None if payload is None else json.dumps(payload).encode()
        return urllib.request.Request(self.base_url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": accept,
            **({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})})

    def _call(self, method: str, path: str, payload: dict | None = None,
              headers: Mapping[str, str] | None = None) -> tuple[dict, Mapping[str, str]]:
        with self._open(self._request(method, path, payload, headers)) as response:
            return json.loads(response.read() or b"{}"), response.headers

    @contextmanager
    def _open(self, request: urllib.request.Request) -> Iterator:
        """The response; every refusal of the API as an ApiError."""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                yield response
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


__all__ = ["Accepted", "ApiError", "Event", "Grant", "JudgeClient", "Language", "Problem", "ProblemUpload", "Run",
           "Sample", "SampleOutcome", "Submission", "WebhookRefused",
           "verify_webhook", "webhook_guard"]
