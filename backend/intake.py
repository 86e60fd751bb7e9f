"""Intake: accept a submission, store it, queue it; read one back. No HTTP here (backend/api is the
routes over this), so the rules are testable without a web framework.

Write order: row (QUEUED) -> S3 object -> SQS message. A failure after the row marks it FAILED with
the reason and raises `Unavailable`, so no message is ever queued without its row and no row stays
QUEUED without a message (except if this process dies mid-request).

An `Idempotency-Key` (per user) makes a retried request return the first one's submission; the same
key with a different request is refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pymysql

from contracts.messages import ID_PATTERN, LANGUAGES, MAX_SOURCE_BYTES, MODES, SubmissionMessage, s3_code_path
from store import repositories as repo
from store.config import Database

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class IntakeConfig:
    submissions_bucket: str
    submission_queue_url: str
    kms_key_id: str | None = None  # SSE-KMS with this key; default SSE-S3 (AES256)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeConfig:
        env = os.environ if env is None else env
        missing = [v for v in ("SUBMISSIONS_BUCKET", "SUBMISSION_QUEUE_URL") if not env.get(v)]
        if missing:
            raise RuntimeError(f"intake API configuration missing: {', '.join(missing)}")
        return cls(env["SUBMISSIONS_BUCKET"], env["SUBMISSION_QUEUE_URL"], env.get("SUBMISSIONS_KMS_KEY_ID") or None)


class Rejected(Exception):
    """The request cannot be taken: `status` is the HTTP status, `code` the machine-readable reason."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.headers, self.extra = status, code, message, headers, extra


@dataclass(frozen=True)
class NewSubmission:
    problem_id: str
    language: str
    source_code: str
    user_id: str | None = None  # optional; must be the token's user
    mode: str = "full"  # "samples": judge data/sample only, keeping each sample's output

    def request_hash(self) -> str:
        fields = {"problem_id": self.problem_id, "language": self.language, "source_code": self.source_code}
        if self.mode != "full":  # a full submission hashes as before modes existed
            fields["mode"] = self.mode
        canonical = json.dumps(fields, sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Accepted:
    submission_id: str
    status: str
    replayed: bool = False  # an earlier request with the same Idempotency-Key made it


class Intake:
    def __init__(self, config: IntakeConfig, db: Database, s3, sqs):
        self.config, self.db, self.s3, self.sqs = config, db, s3, sqs

    def authenticate(self, authorization: str | None) -> repo.User:
        challenge = {"WWW-Authenticate": "Bearer"}
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Rejected(401, "unauthorized", "send Authorization: Bearer <token>", challenge)
        with self.db.transaction() as cur:
            user = repo.user_by_token(cur, token.strip())
        if user is None:
            raise Rejected(401, "unauthorized", "unknown token", challenge)
        return user

    def submit(self, user: repo.User, new: NewSubmission, idempotency_key: str | None = None) -> Accepted:
        check_submission(user, new, idempotency_key)
        sid = str(uuid.uuid4())
        replay = self._record(user, new, idempotency_key, sid)
        if replay is not None:
            return replay
        message = SubmissionMessage(sid, new.problem_id, user.id, new.language,
                                    s3_code_path(self.config.submissions_bucket, sid, new.language), mode=new.mode)
        self._store_source(message, new.source_code)
        self._enqueue(message)
        log.info("submission %s queued (user %s, problem %s, %s)", sid, user.id, new.problem_id, new.language)
        return Accepted(sid, "QUEUED")

    def _record(self, user: repo.User, new: NewSubmission, key: str | None, sid: str) -> Accepted | None:
        """Insert the QUEUED row (and claim the key) in one transaction; an Accepted if it is a replay."""
        try:
            with self.db.transaction() as cur:
                found = repo.get_idempotency_key(cur, user.id, key) if key is not None else None
                if found:
                    return _replay(found, new)
                problem = repo.get_problem(cur, new.problem_id)
                if problem is None:
                    raise Rejected(404, "problem_not_found", f"no problem {new.problem_id!r}")
                if not repo.may_submit(cur, user.id, problem):
                    raise Rejected(403, "forbidden", f"problem {problem.id!r} is restricted and not granted to you")
                repo.insert_submission(cur, id=sid, user_id=user.id, problem_id=problem.id, language=new.language,
                                       s3_code_path=s3_code_path(self.config.submissions_bucket, sid, new.language))
                if new.mode != "full":
                    repo.set_submission_mode(cur, sid, new.mode)
                if key is not None:
                    repo.claim_idempotency_key(cur, user.id, key, sid, new.request_hash())
        except pymysql.err.IntegrityError:
            # A concurrent request with the same key committed first (InnoDB held us until it did).
            with self.db.transaction() as cur:
                found = repo.get_idempotency_key(cur, user.id, key) if key else None
            if not found:
                raise
            return _replay(found, new)
        return None

    def _store_source(self, message: SubmissionMessage, source_code: str) -> None:
        put = {"Bucket": self.config.submissions_bucket, "Key": message.key, "Body": source_code.encode("utf-8"),
               "ContentType": "text/plain; charset=utf-8"}
        if self.config.kms_key_id:
            put.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=self.config.kms_key_id)
        else:
            put.update(ServerSideEncryption="AES256")
        try:
            self.s3.put_object(**put)
        except Exception as exc:
            self._fail(message.submission_id, f"could not store the source code: {exc}")
            raise Unavailable("could not store the submission; retry later", message.submission_id) from exc

    def _enqueue(self, message: SubmissionMessage) -> None:
        send = {"QueueUrl": self.config.submission_queue_url, "MessageBody": message.to_json()}
        if self.config.submission_queue_url.endswith(".fifo"):
            send.update(MessageGroupId=message.submission_id, MessageDeduplicationId=message.submission_id)
        try:
            self.sqs.send_message(**send)
        except Exception as exc:
            self._fail(message.submission_id, f"could not queue the submission: {exc}")
            raise Unavailable("could not queue the submission; retry later", message.submission_id) from exc

    def _fail(self, sid: str, reason: str) -> None:
        log.error("submission %s: %s", sid, reason)
        with self.db.transaction() as cur:
            repo.mark_intake_failed(cur, sid, reason)

    def submission(self, user: repo.User, submission_id: str) -> dict:
        """The row of one of the user's submissions; someone else's is "not found" too (ids must
        not be probeable)."""
        row = None
        if len(submission_id) <= 36:
            with self.db.transaction() as cur:
                row = repo.get_submission(cur, submission_id)
                if row is not None:
                    row.update(repo.submission_details(cur, submission_id))
                    row["history"] = repo.submission_history(cur, submission_id)
        if row is None or row["user_id"] != user.id:
            raise Rejected(404, "not_found", f"no submission {submission_id!r}")
        return row

    def database_reachable(self) -> bool:
        try:
            with self.db.transaction() as cur:
                cur.execute("SELECT 1 AS ok")
                cur.fetchone()
        except Exception as exc:
            log.warning("health check: database unreachable: %s", exc)
            return False
        return True


class Unavailable(Rejected):
    def __init__(self, message: str, submission_id: str):
        super().__init__(503, "unavailable", message, submission_id=submission_id)


def check_submission(user: repo.User, new: NewSubmission, idempotency_key: str | None) -> None:
    """Every field by the rules the contracts apply further down, so what intake takes a worker
    will take too."""
    if new.user_id is not None and new.user_id != user.id:
        raise Rejected(403, "forbidden", "user_id does not match the token's user")
    if not ID_PATTERN.match(new.problem_id):
        raise Rejected(422, "invalid_problem_id",
                       "problem_id must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
    check_source(new.language, new.source_code)
    if new.mode not in MODES:
        raise Rejected(422, "invalid_mode", f"mode must be one of {', '.join(MODES)}")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
        raise Rejected(422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 printable ASCII characters")


def check_source(language: str, source_code: str) -> None:
    """A program as intake takes it, for a submission or a run: a known language, UTF-8, not empty,
    not over MAX_SOURCE_BYTES."""
    if language not in LANGUAGES:
        raise Rejected(422, "unknown_language", f"language must be one of {', '.join(LANGUAGES)}")
    try:
        size = len(source_code.encode("utf-8"))
    except UnicodeEncodeError:  # lone surrogates (\udXXX escapes) are valid JSON but not UTF-8
        raise Rejected(422, "source_not_utf8", "source_code is not valid UTF-8 text") from None
    if not source_code.strip():
        raise Rejected(422, "empty_source", "source_code is empty")
    if size > MAX_SOURCE_BYTES:
        raise Rejected(413, "source_too_large", f"source_code is {size} bytes; the limit is {MAX_SOURCE_BYTES}")


def _replay(found: dict, new: NewSubmission) -> Accepted:
    if found["request_sha256"] != new.request_hash():
        raise Rejected(422, "idempotency_key_reused", "this Idempotency-Key was used for a different request",
                       submission_id=found["submission_id"])
    return Accepted(found["submission_id"], found["status"], replayed=True)
