"""The intake API: accept a submission, store it, queue it; report a submission's state.

    uvicorn --factory backend.api:create_app      # config from the environment (ApiConfig.from_env)

Write order in POST /v1/submissions: row (QUEUED) -> S3 object -> SQS message. A failure after the row
marks it FAILED with the reason and answers 503, so no message is ever queued without its row and no
row stays QUEUED without a message (except if this process dies mid-request).
"""

# No `from __future__ import annotations`: FastAPI must evaluate the endpoint annotations, and
# Depends(current_user) refers to a closure that a string annotation could not resolve.
import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pymysql
from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.db import repositories as repo
from backend.db.config import Database
from pipeline.messages import LANGUAGES, SubmissionMessage, s3_code_path

log = logging.getLogger(__name__)

MAX_SOURCE_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024  # JSON escaping can blow 64 KiB of source up to ~6x; anything larger is abuse
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class ApiConfig:
    submissions_bucket: str
    submission_queue_url: str
    kms_key_id: str | None = None  # SSE-KMS with this key; default SSE-S3 (AES256)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ApiConfig":
        env = os.environ if env is None else env
        missing = [v for v in ("SUBMISSIONS_BUCKET", "SUBMISSION_QUEUE_URL") if not env.get(v)]
        if missing:
            raise RuntimeError(f"intake API configuration missing: {', '.join(missing)}")
        return cls(env["SUBMISSIONS_BUCKET"], env["SUBMISSION_QUEUE_URL"], env.get("SUBMISSIONS_KMS_KEY_ID") or None)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, **extra: Any):
        self.status, self.code, self.message, self.headers, self.extra = status, code, message, headers, extra


# ---- request and response models (they are the OpenAPI document) ----------------------------------


class SubmissionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    problem_id: str = Field(min_length=1, max_length=64)
    language: Literal["python", "c", "cpp", "java"]
    source_code: str = Field(description="UTF-8 program text, at most 64 KiB once encoded")
    user_id: str | None = Field(None, description="optional; must be the token's user")


class SubmissionAccepted(BaseModel):
    submission_id: str
    status: str


class SubmissionView(BaseModel):
    submission_id: str
    problem_id: str
    language: str
    status: Literal["QUEUED", "JUDGING", "JUDGED", "FAILED"]
    verdict: str | None
    score: float | None
    time_ms: int | None
    memory_kb: int | None
    tests: list[dict]
    compile_output: str | None
    failure_reason: str | None
    created_at: str
    updated_at: str


class ErrorBody(BaseModel):
    error: str
    message: str


_ERRORS = {r: {"model": ErrorBody} for r in (401, 403, 404, 413, 422, 503)}


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


def _request_hash(req: SubmissionRequest) -> str:
    canonical = json.dumps({"problem_id": req.problem_id, "language": req.language, "source_code": req.source_code},
                           sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _iso(value) -> str:
    return value.isoformat() + "Z" if getattr(value, "tzinfo", None) is None else value.isoformat()


def create_app(config: ApiConfig | None = None, *, db: Database | None = None, s3=None, sqs=None) -> FastAPI:
    """The app. Anything not given comes from the environment (ApiConfig, DB_* / DB_SECRET_ARN, boto3's own
    AWS_* variables including AWS_ENDPOINT_URL)."""
    config = config or ApiConfig.from_env()
    db = db or Database.from_env()
    if s3 is None or sqs is None:
        import boto3

        s3 = s3 or boto3.client("s3")
        sqs = sqs or boto3.client("sqs")

    app = FastAPI(title="Serverless judge: intake API", version="1.0.0",
                  description="Submit programs to be judged and read their verdicts.")
    app.router.route_class = _BodyCheckedRoute
    app.state.db, app.state.config = db, config

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in exc.errors()]
        return _error(422, "invalid_request", "; ".join(problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    def current_user(authorization: Annotated[str | None, Header()] = None) -> repo.User:
        challenge = {"WWW-Authenticate": "Bearer"}
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>", challenge)
        with db.transaction() as cur:
            user = repo.user_by_token(cur, token.strip())
        if user is None:
            raise ApiError(401, "unauthorized", "unknown token", challenge)
        return user

    @app.post("/v1/submissions", status_code=202, response_model=SubmissionAccepted, responses=_ERRORS,
              summary="Submit a program for judging")
    def create_submission(
        body: SubmissionRequest,
        response: Response,
        user: Annotated[repo.User, Depends(current_user)],
        idempotency_key: Annotated[str | None, Header(description="same key + same user: same submission")] = None,
    ) -> SubmissionAccepted:
        if body.user_id is not None and body.user_id != user.id:
            raise ApiError(403, "forbidden", "user_id does not match the token's user")
        try:
            size = len(body.source_code.encode("utf-8"))
        except UnicodeEncodeError:  # lone surrogates (\udXXX escapes) are valid JSON but not UTF-8
            raise ApiError(422, "source_not_utf8", "source_code is not valid UTF-8 text") from None
        if not body.source_code.strip():
            raise ApiError(422, "empty_source", "source_code is empty")
        if size > MAX_SOURCE_BYTES:
            raise ApiError(413, "source_too_large", f"source_code is {size} bytes; the limit is {MAX_SOURCE_BYTES}")
        if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
            raise ApiError(422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 printable ASCII characters")
        request_hash = _request_hash(body)

        def replay(found: dict) -> SubmissionAccepted:
            if found["request_sha256"] != request_hash:
                raise ApiError(422, "idempotency_key_reused",
                               "this Idempotency-Key was used for a different request", submission_id=found["submission_id"])
            response.headers["Idempotent-Replayed"] = "true"
            return SubmissionAccepted(submission_id=found["submission_id"], status=found["status"])

        sid = str(uuid.uuid4())
        path = s3_code_path(config.submissions_bucket, sid, body.language)
        try:
            with db.transaction() as cur:
                if idempotency_key is not None:
                    found = repo.get_idempotency_key(cur, user.id, idempotency_key)
                    if found:
                        return replay(found)
                problem = repo.get_problem(cur, body.problem_id)
                if problem is None:
                    raise ApiError(404, "problem_not_found", f"no problem {body.problem_id!r}")
                if not repo.may_submit(cur, user.id, problem):
                    raise ApiError(403, "forbidden", f"problem {problem.id!r} is restricted and not granted to you")
                repo.insert_submission(cur, id=sid, user_id=user.id, problem_id=problem.id, language=body.language,
                                       s3_code_path=path)
                if idempotency_key is not None:
                    repo.claim_idempotency_key(cur, user.id, idempotency_key, sid, request_hash)
        except pymysql.err.IntegrityError:
            # A concurrent request with the same key committed first (InnoDB held us until it did).
            with db.transaction() as cur:
                found = repo.get_idempotency_key(cur, user.id, idempotency_key) if idempotency_key else None
            if not found:
                raise
            return replay(found)

        message = SubmissionMessage(sid, body.problem_id, user.id, body.language, path)
        try:
            put = {"Bucket": config.submissions_bucket, "Key": message.key, "Body": body.source_code.encode("utf-8"),
                   "ContentType": "text/plain; charset=utf-8"}
            if config.kms_key_id:
                put.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=config.kms_key_id)
            else:
                put.update(ServerSideEncryption="AES256")
            s3.put_object(**put)
        except Exception as exc:
            _fail_intake(sid, f"could not store the source code: {exc}")
            raise ApiError(503, "unavailable", "could not store the submission; retry later", submission_id=sid) from exc
        try:
            send = {"QueueUrl": config.submission_queue_url, "MessageBody": message.to_json()}
            if config.submission_queue_url.endswith(".fifo"):
                send.update(MessageGroupId=sid, MessageDeduplicationId=sid)
            sqs.send_message(**send)
        except Exception as exc:
            _fail_intake(sid, f"could not queue the submission: {exc}")
            raise ApiError(503, "unavailable", "could not queue the submission; retry later", submission_id=sid) from exc
        log.info("submission %s queued (user %s, problem %s, %s)", sid, user.id, body.problem_id, body.language)
        return SubmissionAccepted(submission_id=sid, status="QUEUED")

    def _fail_intake(sid: str, reason: str) -> None:
        log.error("submission %s: %s", sid, reason)
        with db.transaction() as cur:
            repo.mark_intake_failed(cur, sid, reason)

    @app.get("/v1/submissions/{submission_id}", response_model=SubmissionView, responses=_ERRORS,
             summary="A submission's state and, once judged, its verdict and per-test results")
    def get_submission(submission_id: str, user: Annotated[repo.User, Depends(current_user)]) -> SubmissionView:
        row = None
        if len(submission_id) <= 36:
            with db.transaction() as cur:
                row = repo.get_submission(cur, submission_id)
        # Someone else's submission is "not found" too: ids must not be probeable.
        if row is None or row["user_id"] != user.id:
            raise ApiError(404, "not_found", f"no submission {submission_id!r}")
        result = row["result_json"] or {}
        return SubmissionView(
            submission_id=row["id"], problem_id=row["problem_id"], language=row["language"], status=row["status"],
            verdict=row["verdict"], score=row["score"], time_ms=row["time_ms"], memory_kb=row["memory_kb"],
            tests=[t for t in result.get("tests") or [] if isinstance(t, dict)],
            compile_output=result.get("compile_output"), failure_reason=row["failure_reason"],
            created_at=_iso(row["created_at"]), updated_at=_iso(row["updated_at"]),
        )

    @app.get("/healthz", summary="Liveness and database reachability")
    def healthz() -> JSONResponse:
        try:
            with db.transaction() as cur:
                cur.execute("SELECT 1 AS ok")
                cur.fetchone()
        except Exception as exc:
            log.warning("health check: database unreachable: %s", exc)
            return _error(503, "database_unavailable", "database unreachable")
        return JSONResponse({"status": "ok"})

    return app


__all__ = ["LANGUAGES", "ApiConfig", "create_app"]
