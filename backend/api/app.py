"""The intake API: HTTP routes over `backend.intake` (which holds the rules and the write order).

    uvicorn --factory backend.api:create_app      # config from the environment (IntakeConfig.from_env)

While the app runs under a server with a lifespan (uvicorn), a background thread relays what the
outbox holds unsent every few seconds (store/outbox.py); behind API Gateway (Mangum, no lifespan) the
scheduled outbox_relay function does.

Every error is JSON `{"error": <machine-readable code>, "message": <reason>}` with a 4xx or 503.
"""

# No `from __future__ import annotations`: FastAPI must evaluate the endpoint annotations, and
# Depends(current_user) refers to a closure that a string annotation could not resolve.
import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

import pymysql
from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api.setter_routes import add_setter_routes
from backend.catalogue import Catalogue, LanguageInfo, NoSuchProblem, ProblemInfo, SamplesUnavailable
from backend.events import max_stream_from_env, submission_events
from backend.intake import Intake, IntakeConfig, NewSubmission, Rejected, check_submission
from backend.quota import Quota, QuotaConfig
from backend.rejudge import Rejudge
from backend.runs import MAX_WAIT_S, NewRun, Runs, check_run, run_limits_from_env
from backend.setters import Setters, UploadSettings
from contracts.messages import LANGUAGES, MAX_SOURCE_BYTES
from contracts.runs import KEPT_OUTPUT_BYTES, MAX_STDIN_BYTES, RUN_FINAL, RunLimits
from judge.verdict import Verdict
from store import repositories as repo
from store.config import Database
from store.packages import PackageBucket

log = logging.getLogger(__name__)

ApiConfig = IntakeConfig  # the API is configured by what intake needs
MAX_BODY_BYTES = 1024 * 1024  # JSON escaping can blow 64 KiB of source up to ~6x; anything larger is abuse
LanguageName = Literal[LANGUAGES]  # the contract's list, itself the language table's


# ---- request and response models (they are the OpenAPI document) ----------------------------------


class SubmissionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    problem_id: str = Field(min_length=1, max_length=64)
    language: LanguageName
    source_code: str = Field(description=f"UTF-8 program text, at most {MAX_SOURCE_BYTES} bytes once encoded")
    user_id: str | None = Field(None, description="optional; must be the token's user")
    mode: Literal["full", "samples"] = Field(
        "full", description="samples: judge data/sample only and return each sample's output next to the "
                            "expected one (`samples` in the submission); its verdict is the samples' alone")


class SubmissionAccepted(BaseModel):
    submission_id: str
    status: str


class SampleOutcome(BaseModel):
    name: str = Field(description="the sample's test name, e.g. sample/1")
    verdict: str
    output: str | None = Field(description="what the program printed; null for interactive and multi-pass "
                                           "problems (no single output to show)")
    expected_output: str | None = Field(description="the sample's .ans; null as output is")
    truncated: bool = Field(description="output or expected_output cut at 16 KiB")


class EarlierResult(BaseModel):
    attempt: int
    status: str
    verdict: str | None
    score: float | None
    time_ms: int | None
    memory_kb: int | None
    failure_reason: str | None
    judged_at: str
    rejudged_at: str


class SubmissionView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "submission_id": "0b6f3c1e-5d2a-4c39-9a55-1f0b8f0e6c11", "problem_id": "aplusb", "language": "python",
        "mode": "samples", "status": "JUDGED", "verdict": "WRONG_ANSWER", "score": None, "time_ms": 20,
        "memory_kb": 9000, "tests_done": None, "tests_total": None,
        "tests": [{"name": "sample/1", "group": "sample", "verdict": "WRONG_ANSWER", "time_ms": 20}],
        "samples": [{"name": "sample/1", "verdict": "WRONG_ANSWER", "output": "4\n", "expected_output": "3\n",
                     "truncated": False}],
        "compile_output": "", "failure_reason": None, "created_at": "2026-12-01T18:00:00Z",
        "updated_at": "2026-12-01T18:00:02Z",
        "history": [{"attempt": 1, "status": "JUDGED", "verdict": "ACCEPTED", "score": None, "time_ms": 18,
                     "memory_kb": 8900, "failure_reason": None, "judged_at": "2026-11-30T12:00:02Z",
                     "rejudged_at": "2026-12-01T17:59:00Z"}]}]})
    submission_id: str
    problem_id: str
    language: str
    mode: Literal["full", "samples"] = "full"
    status: Literal["QUEUED", "JUDGING", "JUDGED", "FAILED"]
    verdict: str | None
    score: float | None
    time_ms: int | None
    memory_kb: int | None
    tests_done: int | None = Field(None, description="while JUDGING: tests done so far (throttled, ~1/s)")
    tests_total: int | None = Field(None, description="while JUDGING: tests to run in all")
    tests: list[dict]
    samples: list[SampleOutcome] | None = Field(None, description="mode samples, once judged: each sample's "
                                                "output next to the expected one; null otherwise")
    compile_output: str | None
    failure_reason: str | None
    created_at: str
    updated_at: str
    history: list[EarlierResult] = Field([], description="what it was judged before each rejudge, oldest first")


class RejudgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"verdicts": ["WRONG_ANSWER"]}]})
    verdicts: list[Literal[tuple(v.value for v in Verdict)]] | None = Field(
        None, min_length=1, description="only the submissions with one of these verdicts; all final ones if absent")


class RejudgeAccepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "problem_id": "aplusb", "queued": 1, "submission_ids": ["0b6f3c1e-5d2a-4c39-9a55-1f0b8f0e6c11"]}]})
    problem_id: str
    queued: int = Field(description="submissions queued again (QUEUED or JUDGING ones are left alone)")
    submission_ids: list[str]


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "language": "python", "source_code": "print(sum(map(int, input().split())))", "stdin": "1 2\n"}]})
    language: LanguageName
    source_code: str = Field(description=f"UTF-8 program text, at most {MAX_SOURCE_BYTES} bytes once encoded")
    stdin: str = Field("", description=f"the program's standard input, at most {MAX_STDIN_BYTES} bytes")


class RunAccepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "run_id": "5c0e8d2a-3b7f-4e61-8a9d-2f4b6c8e0a13", "status": "QUEUED"}]})
    run_id: str
    status: str


class RunView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "run_id": "5c0e8d2a-3b7f-4e61-8a9d-2f4b6c8e0a13", "language": "python", "status": "DONE",
        "limits": {"cpu_time_s": 2.0, "memory_mib": 256, "output_mib": 1}, "compiled": True,
        "compile_output": "", "stdout": "3\n", "stdout_truncated": False, "stderr": "", "stderr_truncated": False,
        "exit_code": 0, "signal": None, "cpu_ms": 18, "wall_ms": 25, "memory_kb": 9120, "limit_verdict": None,
        "failure_reason": None, "created_at": "2026-12-01T18:00:00Z", "updated_at": "2026-12-01T18:00:01Z"}]})
    run_id: str
    language: str
    status: Literal["QUEUED", "RUNNING", "DONE", "FAILED"]
    limits: dict = Field(description="cpu_time_s, memory_mib, output_mib: the same for every run")
    compiled: bool | None = Field(description="false: compile_output says why, nothing ran; null until DONE")
    compile_output: str | None
    stdout: str | None = Field(description=f"the first {KEPT_OUTPUT_BYTES} bytes of what the program printed")
    stdout_truncated: bool | None
    stderr: str | None = Field(description=f"the first {KEPT_OUTPUT_BYTES} bytes of its stderr")
    stderr_truncated: bool | None
    exit_code: int | None
    signal: int | None = Field(description="the signal that ended it, if one did")
    cpu_ms: int | None
    wall_ms: int | None
    memory_kb: int | None = Field(description="peak memory")
    limit_verdict: Literal["TIME_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED", "OUTPUT_LIMIT_EXCEEDED",
                           "RUNTIME_ERROR"] | None = Field(description="the limit it hit, or its non-zero exit; "
                                                           "null for a clean exit within the limits")
    failure_reason: str | None = Field(description="FAILED: why the judge could not run it")
    created_at: str
    updated_at: str


class LanguageView(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "cpp", "display_name": "C++20 (g++ -O2, gnu++20)", "compiler": "g++",
        "compiler_version": "g++ (Debian 12.2.0-14+deb12u1) 12.2.0", "version_reported_at": "2026-12-01T18:00:00Z",
        "source_file_name": "Main.cpp", "extensions": [".cpp", ".cc"],
        "compile_command": "g++ -std=gnu++20 -O2 -pipe -static -s -fuse-ld=gold -Wl,--gc-sections -o main Main.cpp", "run_command": "./main"}]})
    name: LanguageName
    display_name: str
    compiler: str = Field(description="the tool that builds the program (or runs it, with nothing to build)")
    compiler_version: str | None = Field(
        description="its first line of `--version` as the sandbox functions' toolchain printed it; "
                    "null until one has compiled a submission in this language")
    version_reported_at: str | None
    source_file_name: str = Field(description="what the source is saved as (Java: named after its public class)")
    extensions: list[str]
    compile_command: str | None = Field(description="null: nothing to compile")
    run_command: str


class LanguageList(BaseModel):
    languages: list[LanguageView]


class SampleView(BaseModel):
    name: str
    input: str
    output: str | None = Field(description="the expected output (`.ans`); null if the package has none")
    truncated: bool = Field(description="input or output cut at 64 KiB")


class ProblemSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "problem_id": "aplusb", "name": "A plus B", "type": "pass-fail",
        "limits": {"time_limit_s": 1.0, "memory_mib": 2048, "output_mib": 8, "code_kib": 128},
        "may_submit": True}]})
    problem_id: str
    name: str
    type: str = Field(description="pass-fail or scoring, '+ interactive' / '+ multi-pass' when so")
    limits: dict
    may_submit: bool = Field(description="false: restricted and not granted to you")


class ProblemList(BaseModel):
    problems: list[ProblemSummary]


class ProblemView(ProblemSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "problem_id": "aplusb", "name": "A plus B", "type": "pass-fail", "limits": {"time_limit_s": 1.0},
        "may_submit": True, "samples": [{"name": "1", "input": "1 2\n", "output": "3\n", "truncated": False}]}]})
    samples: list[SampleView] | None = Field(
        description="data/sample of the package; null when you may not submit (restricted, not granted)")


class ErrorBody(BaseModel):
    error: str
    message: str


_ERRORS = {r: {"model": ErrorBody} for r in (401, 403, 404, 413, 422, 503)}
_SUBMIT_ERRORS = {**_ERRORS, 429: {"model": ErrorBody, "description": "over the per-user submission rate limit; "
                                   "`Retry-After` (seconds) says when to retry, `retry_after_s` too",
                                   "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                                   "content": {"application/json": {"example": {
                                       "error": "rate_limited", "retry_after_s": 2,
                                       "message": "over 30 submissions per 60 s; retry in 2 s"}}}}}


class _BodyCheckedRoute(APIRoute):
    """Checks the raw body before FastAPI parses it: too large -> 413, not UTF-8 -> 422 with our reason
    (FastAPI would answer a generic 400)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if request.method in ("POST", "PUT", "PATCH"):
                declared = request.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                    return _error(413, "body_too_large", f"request body over {MAX_BODY_BYTES} bytes")
                body = await request.body()  # cached on the request; the handler reuses it
                if len(body) > MAX_BODY_BYTES:
                    return _error(413, "body_too_large", f"request body over {MAX_BODY_BYTES} bytes")
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError as exc:
                    return _error(422, "body_not_utf8", f"request body is not valid UTF-8 (byte {exc.start})")
            return await handler(request)

        return checked


def _error(status: int, code: str, message: str, headers: dict | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status, headers=headers)


def _iso(value) -> str:
    return value.isoformat() + "Z" if getattr(value, "tzinfo", None) is None else value.isoformat()


_SAMPLE_KEYS = ("output", "expected_output", "output_truncated")


def _view(row: dict) -> SubmissionView:
    result = row["result_json"] or {}
    tests = [t for t in result.get("tests") or [] if isinstance(t, dict)]
    mode = row.get("mode") or "full"
    samples = None
    if mode == "samples" and row["status"] == "JUDGED":
        samples = [SampleOutcome(name=t["name"], verdict=t["verdict"], output=t.get("output"),
                                 expected_output=t.get("expected_output"), truncated=bool(t.get("output_truncated")))
                   for t in tests]
    judging = row["status"] == "JUDGING"
    return SubmissionView(
        submission_id=row["id"], problem_id=row["problem_id"], language=row["language"], mode=mode,
        status=row["status"], verdict=row["verdict"], score=row["score"], time_ms=row["time_ms"],
        memory_kb=row["memory_kb"], tests_done=row.get("tests_done") if judging else None,
        tests_total=row.get("tests_total") if judging else None,
        tests=[{k: v for k, v in t.items() if k not in _SAMPLE_KEYS} for t in tests], samples=samples,
        compile_output=result.get("compile_output"), failure_reason=row["failure_reason"],
        created_at=_iso(row["created_at"]), updated_at=_iso(row["updated_at"]),
        history=[EarlierResult(**{**h, "judged_at": _iso(h["judged_at"]), "rejudged_at": _iso(h["rejudged_at"])})
                 for h in row.get("history") or []],
    )


def _run_view(row: dict) -> RunView:
    result = row["result_json"] or {}
    return RunView(
        run_id=row["id"], language=row["language"], status=row["status"], limits=row["limits_json"],
        compiled=result.get("compiled"), compile_output=result.get("compile_output"), stdout=result.get("stdout"),
        stdout_truncated=result.get("stdout_truncated"), stderr=result.get("stderr"),
        stderr_truncated=result.get("stderr_truncated"), exit_code=result.get("exit_code"),
        signal=result.get("signal"), cpu_ms=result.get("cpu_ms"), wall_ms=result.get("wall_ms"),
        memory_kb=result.get("memory_kb"), limit_verdict=result.get("limit_verdict"),
        failure_reason=row["failure_reason"], created_at=_iso(row["created_at"]), updated_at=_iso(row["updated_at"]))


def _language_view(info: LanguageInfo) -> LanguageView:
    return LanguageView(
        name=info.name, display_name=info.display_name, compiler=info.compiler,
        compiler_version=info.compiler_version,
        version_reported_at=_iso(info.version_reported_at) if info.version_reported_at else None,
        source_file_name=info.source_file_name, extensions=list(info.extensions),
        compile_command=info.compile_command, run_command=info.run_command)


def _problem_summary(info: ProblemInfo) -> dict:
    return {"problem_id": info.id, "name": info.name, "type": info.type, "limits": info.limits,
            "may_submit": info.may_submit}


def _problem_view(info: ProblemInfo) -> ProblemView:
    samples = None if info.samples is None else [
        SampleView(name=s.name, input=s.input.decode(errors="replace"),
                   output=None if s.answer is None else s.answer.decode(errors="replace"), truncated=s.truncated)
        for s in info.samples]
    return ProblemView(**_problem_summary(info), samples=samples)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Rejected)
    async def rejected(_request: Request, exc: Rejected) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in exc.errors()]
        return _error(422, "invalid_request", "; ".join(problems))

    @app.exception_handler(pymysql.err.OperationalError)
    @app.exception_handler(pymysql.err.InterfaceError)
    async def database_unavailable(_request: Request, exc: pymysql.MySQLError) -> JSONResponse:
        # The server is down or went away mid-request: retry later (an Idempotency-Key makes the retry
        # return the submission if its transaction did commit).
        log.warning("database unavailable: %s", exc)
        return _error(503, "database_unavailable", "the database is unreachable; retry later")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))


def _add_discovery_routes(app: FastAPI, catalogue: Catalogue, current_user: Callable[..., repo.User]) -> None:
    @app.get("/v1/languages", response_model=LanguageList, responses=_ERRORS,
             summary="The languages a submission may be in: compiler, version, file name, commands")
    def list_languages(_user: Annotated[repo.User, Depends(current_user)]) -> LanguageList:
        return LanguageList(languages=[_language_view(info) for info in catalogue.languages()])

    @app.get("/v1/problems", response_model=ProblemList, responses=_ERRORS,
             summary="Every problem: name, type, limits and whether you may submit to it")
    def list_problems(user: Annotated[repo.User, Depends(current_user)]) -> ProblemList:
        return ProblemList(problems=[ProblemSummary(**_problem_summary(p)) for p in catalogue.problems(user)])

    @app.get("/v1/problems/{problem_id}", response_model=ProblemView, responses=_ERRORS,
             summary="One problem with its sample inputs and outputs (samples only if you may submit)")
    def get_problem(problem_id: str, user: Annotated[repo.User, Depends(current_user)]) -> ProblemView:
        try:
            return _problem_view(catalogue.problem(user, problem_id))
        except NoSuchProblem:
            raise Rejected(404, "problem_not_found", f"no problem {problem_id!r}") from None
        except SamplesUnavailable as error:
            log.error("%s", error)
            raise Rejected(503, "samples_unavailable", "the problem's samples cannot be read now; retry later") from None


def _background_relay(intake: Intake, interval_s: float):
    """A lifespan that runs the outbox relay in a thread while the server runs."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = threading.Thread(target=intake.relay.run_forever, args=(stop, interval_s), name="outbox-relay",
                                  daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=30)

    return lifespan


_RUN_ERRORS = {**_SUBMIT_ERRORS, 200: {"model": RunView, "description": "with ?wait=N: the run finished in time"}}
_WAIT = Query(ge=0, le=MAX_WAIT_S, description=f"seconds (at most {MAX_WAIT_S:g}) to wait for the run to finish")


def _add_run_routes(app: FastAPI, runs: Runs, limits: Quota, current_user: Callable[..., repo.User]) -> None:
    @app.post("/v1/runs", status_code=202, response_model=RunAccepted, responses=_RUN_ERRORS,
              summary="Run a program on custom input (no problem, no verdict): the Run button")
    async def create_run(body: RunRequest, user: Annotated[repo.User, Depends(current_user)],
                         wait: Annotated[float, _WAIT] = 0) -> Any:
        new = NewRun(body.language, body.source_code, body.stdin)
        check_run(new)  # a request refused for its fields costs no quota
        await asyncio.to_thread(limits.take_run, user)
        run_id = await asyncio.to_thread(runs.start, user, new)
        if wait > 0:
            row = await runs.wait(user, run_id, wait)
            if row["status"] in RUN_FINAL:
                return JSONResponse(_run_view(row).model_dump(), status_code=200)
        return RunAccepted(run_id=run_id, status="QUEUED")

    @app.get("/v1/runs/{run_id}", response_model=RunView, responses=_ERRORS,
             summary="A run's state and, once DONE, its output, exit and usage")
    async def get_run(run_id: str, user: Annotated[repo.User, Depends(current_user)],
                      wait: Annotated[float, _WAIT] = 0) -> RunView:
        return _run_view(await runs.wait(user, run_id, wait))  # wait 0: one read


_EVENTS_DOC = {200: {"description": "text/event-stream: an `event: state` with the submission's status, tests_done, "
                     "tests_total and verdict at every change, the last one final (JUDGED or FAILED); then "
                     "the stream ends", "content": {"text/event-stream": {"example": (
                         'event: state\ndata: {"status": "JUDGING", "tests_done": 3, "tests_total": 10, '
                         '"verdict": null}\n\nevent: state\ndata: {"status": "JUDGED", "tests_done": null, '
                         '"tests_total": null, "verdict": "ACCEPTED"}\n\n')}}}}


def _add_rejudge_route(app: FastAPI, rejudge: Rejudge, current_user: Callable[..., repo.User]) -> None:
    @app.post("/v1/problems/{problem_id}/rejudge", status_code=202, response_model=RejudgeAccepted,
              responses=_ERRORS, summary="Judge a problem's submissions again (admin token), keeping their results")
    def rejudge_problem(problem_id: str, user: Annotated[repo.User, Depends(current_user)],
                        body: RejudgeRequest | None = None) -> RejudgeAccepted:
        ids = rejudge.problem(user, problem_id, body.verdicts if body else None)
        return RejudgeAccepted(problem_id=problem_id, queued=len(ids), submission_ids=ids)


def _add_event_route(app: FastAPI, intake: Intake, current_user: Callable[..., repo.User],
                     max_stream_s: float) -> None:
    @app.get("/v1/submissions/{submission_id}/events", response_class=StreamingResponse, responses={
        **_ERRORS, **_EVENTS_DOC}, summary="The submission's state changes as server-sent events, until the final one")
    def submission_event_stream(submission_id: str, user: Annotated[repo.User, Depends(current_user)]) -> Any:
        intake.submission(user, submission_id)  # 404 before the stream starts
        return StreamingResponse(submission_events(lambda: _view(intake.submission(user, submission_id)),
                                                   max_stream_s=max_stream_s),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def create_app(config: IntakeConfig | None = None, *, db: Database | None = None, s3=None, sqs=None,
               package_bucket: str | None = None, quota: QuotaConfig | None = None,
               run_limits: RunLimits | None = None, uploads: UploadSettings | None = None,
               relay_interval_s: float = 5.0, events_max_stream_s: float | None = None) -> FastAPI:
    """The app. Anything not given comes from the environment (IntakeConfig, DB_* / DB_SECRET_ARN, boto3's
    own AWS_* variables including AWS_ENDPOINT_URL, PACKAGE_BUCKET: by default the submissions bucket,
    SUBMISSION_RATE_LIMIT and RUN_RATE_LIMIT: backend/quota.py, RUN_*: backend/runs.py, PACKAGE_MAX_*
    and *_TIMEOUT_SECONDS: backend/setters.py, EVENTS_MAX_STREAM_S: backend/events.py).
    Long because it builds the services every route group shares (intake, quota, catalogue, runs,
    setters) and hands each group its own; split, they would be built twice or passed around."""
    if s3 is None or sqs is None:
        import boto3

        s3 = s3 or boto3.client("s3")
        sqs = sqs or boto3.client("sqs")
    config = config or IntakeConfig.from_env()
    db = db or Database.from_env()
    intake = Intake(config, db, s3, sqs)
    package_bucket = package_bucket or os.environ.get("PACKAGE_BUCKET") or config.submissions_bucket
    catalogue = Catalogue(db, s3, package_bucket)
    setters = Setters(db, PackageBucket(s3, package_bucket), uploads or UploadSettings.from_env())
    limits = Quota(db, quota or QuotaConfig.from_env())
    runs = Runs(intake, run_limits or run_limits_from_env())

    app = FastAPI(title="Serverless judge: intake API", version="1.0.0",
                  description="Submit programs to be judged and read their verdicts.",
                  lifespan=_background_relay(intake, relay_interval_s))
    app.router.route_class = _BodyCheckedRoute
    app.state.intake = intake
    _install_error_handlers(app)

    def current_user(authorization: Annotated[str | None, Header()] = None) -> repo.User:
        return intake.authenticate(authorization)

    @app.post("/v1/submissions", status_code=202, response_model=SubmissionAccepted, responses=_SUBMIT_ERRORS,
              summary="Submit a program for judging")
    def create_submission(
        body: SubmissionRequest,
        response: Response,
        user: Annotated[repo.User, Depends(current_user)],
        idempotency_key: Annotated[str | None, Header(description="same key + same user: same submission")] = None,
    ) -> SubmissionAccepted:
        new = NewSubmission(body.problem_id, body.language, body.source_code, body.user_id, body.mode)
        check_submission(user, new, idempotency_key)  # a request refused for its fields costs no quota
        limits.take_submission(user, idempotency_key)
        accepted = intake.submit(user, new, idempotency_key)
        if accepted.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return SubmissionAccepted(submission_id=accepted.submission_id, status=accepted.status)

    @app.get("/v1/submissions/{submission_id}", response_model=SubmissionView, responses=_ERRORS,
             summary="A submission's state and, once judged, its verdict and per-test results")
    def get_submission(submission_id: str, user: Annotated[repo.User, Depends(current_user)]) -> SubmissionView:
        return _view(intake.submission(user, submission_id))

    _add_event_route(app, intake, current_user, events_max_stream_s or max_stream_from_env())
    _add_rejudge_route(app, Rejudge(intake), current_user)
    _add_run_routes(app, runs, limits, current_user)
    _add_discovery_routes(app, catalogue, current_user)
    add_setter_routes(app, setters, current_user)

    @app.get("/healthz", summary="Liveness and database reachability")
    def healthz() -> JSONResponse:
        if not intake.database_reachable():
            return _error(503, "database_unavailable", "database unreachable")
        return JSONResponse({"status": "ok"})

    return app


__all__ = ["LANGUAGES", "ApiConfig", "create_app"]
