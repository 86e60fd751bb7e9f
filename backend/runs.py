"""Runs on custom input (the "Run" button): take a program and its stdin, queue it for the same
workers as submissions, read the run back. No problem and no answers: the worker only runs it and
reports what it printed, how it ended and what it used (contracts/runs.py).

Write order as a submission's (backend/intake.py): row (QUEUED) -> S3 objects (source, stdin) -> SQS
message; a failure after the row marks it FAILED and raises `Unavailable`.

Limits are the same for every run, from the environment (the defaults in brackets):

    RUN_CPU_SECONDS=2    RUN_MEMORY_MIB=256    RUN_OUTPUT_MIB=1 (beyond it: OUTPUT_LIMIT_EXCEEDED)

of which 64 KiB of stdout and of stderr are kept for the client (contracts.runs.KEPT_OUTPUT_BYTES).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from backend.intake import Intake, Rejected, check_source
from contracts.errors import MessageError
from contracts.messages import SOURCE_NAMES
from contracts.runs import MAX_STDIN_BYTES, RUN_FINAL, STDIN_NAME, RunLimits, RunMessage, run_s3_path
from store import repositories as repo

log = logging.getLogger(__name__)

MAX_WAIT_S = 10.0
WAIT_POLL_S = 0.2


def run_limits_from_env(env: Mapping[str, str] | None = None) -> RunLimits:
    env = os.environ if env is None else env
    try:
        return RunLimits(float(env.get("RUN_CPU_SECONDS") or 2), int(env.get("RUN_MEMORY_MIB") or 256),
                         int(env.get("RUN_OUTPUT_MIB") or 1))
    except (ValueError, MessageError) as error:
        raise RuntimeError(f"RUN_CPU_SECONDS / RUN_MEMORY_MIB / RUN_OUTPUT_MIB: {error}") from None


@dataclass(frozen=True)
class NewRun:
    language: str
    source_code: str
    stdin: str = ""


def check_run(new: NewRun) -> bytes:
    """The run's fields by intake's rules; its stdin as bytes."""
    check_source(new.language, new.source_code)
    try:
        stdin = new.stdin.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected(422, "stdin_not_utf8", "stdin is not valid UTF-8 text") from None
    if len(stdin) > MAX_STDIN_BYTES:
        raise Rejected(413, "stdin_too_large", f"stdin is {len(stdin)} bytes; the limit is {MAX_STDIN_BYTES}")
    return stdin


class Runs:
    def __init__(self, intake: Intake, limits: RunLimits, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.intake, self.limits, self.sleep = intake, limits, sleep

    def start(self, user: repo.User, new: NewRun) -> str:
        stdin = check_run(new)
        rid = str(uuid.uuid4())
        bucket = self.intake.config.submissions_bucket
        message = RunMessage(rid, user.id, new.language, run_s3_path(bucket, rid, SOURCE_NAMES[new.language]),
                             run_s3_path(bucket, rid, STDIN_NAME), self.limits)
        with self.intake.db.transaction() as cur:
            repo.insert_run(cur, id=rid, user_id=user.id, language=new.language, limits=self.limits.to_dict())
        try:
            self._put(message.s3_code_path, new.source_code.encode("utf-8"))
            self._put(message.s3_stdin_path, stdin)
            self.intake.sqs.send_message(QueueUrl=self.intake.config.submission_queue_url,
                                         MessageBody=message.to_json(), **self._fifo(rid))
        except Exception as exc:
            log.error("run %s: could not store or queue it: %s", rid, exc)
            with self.intake.db.transaction() as cur:
                repo.mark_run_intake_failed(cur, rid, f"could not store or queue the run: {exc}")
            raise Rejected(503, "unavailable", "could not queue the run; retry later", run_id=rid) from exc
        log.info("run %s queued (user %s, %s)", rid, user.id, new.language)
        return rid

    def _fifo(self, rid: str) -> dict:
        if self.intake.config.submission_queue_url.endswith(".fifo"):
            return {"MessageGroupId": rid, "MessageDeduplicationId": rid}
        return {}

    def _put(self, path: str, body: bytes) -> None:
        bucket, key = RunMessage.bucket_and_key(path)
        put = {"Bucket": bucket, "Key": key, "Body": body, "ContentType": "text/plain; charset=utf-8"}
        if self.intake.config.kms_key_id:
            put.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=self.intake.config.kms_key_id)
        else:
            put.update(ServerSideEncryption="AES256")
        self.intake.s3.put_object(**put)

    def get(self, user: repo.User, run_id: str) -> dict:
        """One of the user's runs; someone else's is "not found" too."""
        row = None
        if len(run_id) <= 36:
            with self.intake.db.transaction() as cur:
                row = repo.get_run(cur, run_id)
        if row is None or row["user_id"] != user.id:
            raise Rejected(404, "not_found", f"no run {run_id!r}")
        return row

    async def wait(self, user: repo.User, run_id: str, wait_s: float) -> dict:
        """The run once DONE or FAILED, or as it is after `wait_s` (at most MAX_WAIT_S). Async: a
        waiting request holds no thread, only each read of the row takes one."""
        deadline = time.monotonic() + min(max(wait_s, 0.0), MAX_WAIT_S)
        while True:
            row = await asyncio.to_thread(self.get, user, run_id)
            if row["status"] in RUN_FINAL or time.monotonic() + WAIT_POLL_S > deadline:
                return row
            await self.sleep(WAIT_POLL_S)
