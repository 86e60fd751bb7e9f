"""Intake: accept a submission, store it, queue it; read one back. No HTTP here (backend/api is the
routes over this), so the rules are testable without a web framework.

Write order: S3 object -> one transaction with the QUEUED row and its message (the outbox) -> an
immediate send of that message by the outbox relay (store/outbox.py). The source is stored first, so
a message never names a missing object; the row and its message commit together, so no row is ever
without the message that queues it, even if this process dies right after the commit or SQS refuses
the send (the relay's next pass sends it, and the client still gets its 202). A failure to store the
source writes nothing and answers 503.

Every field is checked with the contract's own rules (contracts.messages.FieldRule), and the message is
built before anything is written: what intake accepts, every hop downstream accepts too.

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

from contracts.errors import MessageError
from contracts.messages import (
    LANGUAGE,
    MAX_SOURCE_BYTES,
    MODES,
    PROBLEM_ID,
    SUBMISSION_ID,
    SubmissionMessage,
    s3_code_path,
)
from store import repositories as repo
from store.config import Database
from store.outbox import OutboxRelay

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # fullmatch: `$` would let a trailing newline in


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
        self.relay = OutboxRelay(db, sqs, config.submission_queue_url)

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
        try:
            message = SubmissionMessage(sid, new.problem_id, user.id, new.language,
                                        s3_code_path(self.config.submissions_bucket, sid, new.language),
                                        mode=new.mode)
        except MessageError as error:  # check_submission holds the same rules; this is the last guard
            raise Rejected(422, "invalid_submission", str(error)) from None
        with self.db.transaction() as cur:  # refuse early what the write would refuse, before touching S3
            replay = self._admit(cur, user, new, idempotency_key)
        if replay is not None:
            return replay
        self._store_source(message, new.source_code)
        replay, outbox_id = self._record(user, new, idempotency_key, message)
        if replay is not None:
            return replay
        sent = self.relay.send(outbox_id)
        log.info("submission %s %s (user %s, problem %s, %s)", sid, "queued" if sent else "accepted, queued later",
                 user.id, new.problem_id, new.language)
        return Accepted(sid, "QUEUED")

    def _admit(self, cur, user: repo.User, new: NewSubmission, key: str | None) -> Accepted | None:
        """A replay of an earlier request with this key, None for a new one; refuses an unknown or
        restricted problem."""
        found = repo.get_idempotency_key(cur, user.id, key) if key is not None else None
        if found:
            return _replay(found, new)
        problem = repo.get_problem(cur, new.problem_id)
        if problem is None:
            raise Rejected(404, "problem_not_found", f"no problem {new.problem_id!r}")
        if not repo.may_submit(cur, user.id, problem):
            raise Rejected(403, "forbidden", f"problem {problem.id!r} is restricted and not granted to you")
        return None

    def _record(self, user: repo.User, new: NewSubmission, key: str | None,
                message: SubmissionMessage) -> tuple[Accepted | None, int | None]:
        """The QUEUED row, its message and the key's claim in one transaction: (a replay, None), or
        (None, the outbox id to send)."""
        try:
            with self.db.transaction() as cur:
                replay = self._admit(cur, user, new, key)
                if replay is not None:
                    return replay, None
                repo.insert_submission(cur, id=message.submission_id, user_id=user.id, problem_id=new.problem_id,
                                       language=new.language, s3_code_path=message.s3_code_path)
                if new.mode != "full":
                    repo.set_submission_mode(cur, message.submission_id, new.mode)
                outbox_id = repo.add_to_outbox(cur, message.submission_id, message.to_json())
                if key is not None:
                    repo.claim_idempotency_key(cur, user.id, key, message.submission_id, new.request_hash())
        except pymysql.err.IntegrityError:
            # A concurrent request with the same key committed first (InnoDB held us until it did).
            with self.db.transaction() as cur:
                found = repo.get_idempotency_key(cur, user.id, key) if key else None
            if not found:
                raise
            return _replay(found, new), None
        return None, outbox_id

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
            log.error("submission %s: could not store the source code: %s", message.submission_id, exc)
            raise Unavailable("could not store the submission; retry later") from exc

    def submission(self, user: repo.User, submission_id: str) -> dict:
        """The row of one of the user's submissions; someone else's is "not found" too (ids must
        not be probeable). A malformed id is not found either: MySQL would match "<id> " to "<id>"."""
        row = None
        if SUBMISSION_ID.problem(submission_id) is None:
            with self.db.transaction() as cur:
                row = repo.get_submission(cur, submission_id)
                if row is not None:
                    row.update(repo.submission_details(cur, submission_id))
                    row["history"] = repo.submission_history(cur, submission_id)
        if row is None or row["user_id"] != user.id:
            raise Rejected(404, "not_found", f"no submission {submission_id!r:.80}")
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
    def __init__(self, message: str):
        super().__init__(503, "unavailable", message)


def check_submission(user: repo.User, new: NewSubmission, idempotency_key: str | None) -> None:
    """Every field by the rules the contracts apply further down, so what intake takes a worker
    will take too."""
    if new.user_id is not None and new.user_id != user.id:
        raise Rejected(403, "forbidden", "user_id does not match the token's user")
    if (problem := PROBLEM_ID.problem(new.problem_id)) is not None:
        raise Rejected(422, PROBLEM_ID.code, problem)
    check_source(new.language, new.source_code)
    if new.mode not in MODES:
        raise Rejected(422, "invalid_mode", f"mode must be one of {', '.join(MODES)}")
    if idempotency_key is not None and not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise Rejected(422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 printable ASCII characters")


def check_source(language: str, source_code: str) -> None:
    """A program as intake takes it, for a submission or a run: a known language, UTF-8, not empty,
    not over MAX_SOURCE_BYTES."""
    if (problem := LANGUAGE.problem(language)) is not None:
        raise Rejected(422, LANGUAGE.code, problem)
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
