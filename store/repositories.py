"""Repositories: every SQL statement the judge runs, as functions over a PyMySQL DictCursor.

The rules they apply (which status update may replace which) are the contract's
(`contracts.messages.should_apply`); this module only says them in SQL.

The caller owns the transaction (`Database.transaction()`), so several calls can commit together.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pymysql

from contracts.messages import Status, should_apply

CHECK_CONSTRAINT_FAILED = (4025, 3819)  # MariaDB's ER_CONSTRAINT_FAILED, MySQL's ER_CHECK_CONSTRAINT_VIOLATED

# A poison completion is kept as received up to this many characters (MEDIUMTEXT holds 16 MiB; a
# completion is at most SQS's 256 KiB, so this cuts only what did not come from our workers).
MAX_UNAPPLIED_CHARS = 256 * 1024

# ---- users ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    id: str
    name: str


def hash_token(token: str) -> str:
    # Tokens are 256-bit random, so a plain sha256 is enough (no slow hash needed); a database leak
    # does not reveal usable tokens.
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(cur, name: str) -> tuple[User, str]:
    """Insert a user; returns it with its bearer token, which is shown once and stored only hashed."""
    token = secrets.token_urlsafe(32)
    user = User(str(uuid.uuid4()), name)
    cur.execute("INSERT INTO users (id, name, token_sha256) VALUES (%s, %s, %s)", (user.id, name, hash_token(token)))
    return user, token


def user_by_token(cur, token: str) -> User | None:
    cur.execute("SELECT id, name FROM users WHERE token_sha256 = %s", (hash_token(token),))
    row = cur.fetchone()
    return User(row["id"], row["name"]) if row else None


def find_user(cur, name_or_id: str) -> User | None:
    cur.execute("SELECT id, name FROM users WHERE name = %s OR id = %s ORDER BY name = %s DESC LIMIT 1",
                (name_or_id, name_or_id, name_or_id))
    row = cur.fetchone()
    return User(row["id"], row["name"]) if row else None


# ---- problems and grants -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    id: str
    name: str
    type: str
    limits: dict
    package_sha256: str
    restricted: bool


def _problem(row) -> Problem:
    limits = row["limits_json"]
    return Problem(row["id"], row["name"], row["type"], json.loads(limits) if isinstance(limits, (str, bytes)) else limits,
                   row["package_sha256"], bool(row["restricted"]))


def upsert_problem(cur, problem: Problem) -> None:
    cur.execute(
        "INSERT INTO problems (id, name, type, limits_json, package_sha256, restricted) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON DUPLICATE KEY UPDATE name = VALUES(name), type = VALUES(type), limits_json = VALUES(limits_json),"
        " package_sha256 = VALUES(package_sha256), restricted = VALUES(restricted)",
        (problem.id, problem.name, problem.type, json.dumps(problem.limits, sort_keys=True), problem.package_sha256,
         int(problem.restricted)),
    )


def get_problem(cur, problem_id: str, *, for_update: bool = False) -> Problem | None:
    cur.execute("SELECT id, name, type, limits_json, package_sha256, restricted FROM problems WHERE id = %s"
                + (" FOR UPDATE" if for_update else ""), (problem_id,))
    row = cur.fetchone()
    return _problem(row) if row else None


def problems_for(cur, user_id: str) -> list[tuple[Problem, bool]]:
    """Every problem with whether `user_id` may submit to it (not restricted, or granted), by id."""
    cur.execute(
        "SELECT p.id, p.name, p.type, p.limits_json, p.package_sha256, p.restricted,"
        " (p.restricted = 0 OR g.user_id IS NOT NULL) AS may_submit FROM problems p"
        " LEFT JOIN problem_grants g ON g.problem_id = p.id AND g.user_id = %s ORDER BY p.id",
        (user_id,),
    )
    return [(_problem(row), bool(row["may_submit"])) for row in cur.fetchall()]


def grant(cur, user_id: str, problem_id: str) -> bool:
    """Allow a user to submit to a restricted problem; False if the grant already existed."""
    cur.execute("INSERT IGNORE INTO problem_grants (user_id, problem_id) VALUES (%s, %s)", (user_id, problem_id))
    return cur.rowcount == 1


def revoke(cur, user_id: str, problem_id: str) -> bool:
    """Take a grant back; False if there was none."""
    cur.execute("DELETE FROM problem_grants WHERE user_id = %s AND problem_id = %s", (user_id, problem_id))
    return cur.rowcount == 1


@dataclass(frozen=True)
class Grant:
    user_id: str
    user_name: str
    granted_at: object  # datetime (UTC)


def grants_of(cur, problem_id: str) -> list[Grant]:
    cur.execute("SELECT g.user_id, u.name, g.created_at FROM problem_grants g JOIN users u ON u.id = g.user_id"
                " WHERE g.problem_id = %s ORDER BY u.name", (problem_id,))
    return [Grant(row["user_id"], row["name"], row["created_at"]) for row in cur.fetchall()]


def may_submit(cur, user_id: str, problem: Problem) -> bool:
    if not problem.restricted:
        return True
    cur.execute("SELECT 1 FROM problem_grants WHERE user_id = %s AND problem_id = %s", (user_id, problem.id))
    return cur.fetchone() is not None


# ---- submissions ---------------------------------------------------------------------------------


class Applied(StrEnum):
    APPLIED = "applied"
    STALE = "stale"  # a duplicate or older update: ignored, the row keeps the newer state
    MISSING = "missing"  # no such submission


def insert_submission(cur, *, id: str, user_id: str, problem_id: str, language: str, s3_code_path: str) -> None:
    cur.execute(
        "INSERT INTO submissions (id, user_id, problem_id, language, s3_code_path, status, attempt)"
        " VALUES (%s, %s, %s, %s, %s, 'QUEUED', 0)",
        (id, user_id, problem_id, language, s3_code_path),
    )


def get_submission(cur, submission_id: str) -> dict | None:
    cur.execute(
        "SELECT id, user_id, problem_id, language, s3_code_path, status, verdict, score, time_ms, memory_kb,"
        " result_json, failure_reason, attempt, created_at, updated_at FROM submissions WHERE id = %s",
        (submission_id,),
    )
    row = cur.fetchone()
    if row and isinstance(row["result_json"], (str, bytes)):
        row["result_json"] = json.loads(row["result_json"])
    return row


def summarize_result(result: dict) -> dict[str, Any]:
    """The columns kept next to result_json for listing: verdict, score, worst time and memory."""
    tests = [t for t in result.get("tests") or [] if isinstance(t, dict)]

    def worst(key: str) -> int | None:
        if isinstance(result.get(key), (int, float)) and not isinstance(result.get(key), bool):
            return int(result[key])
        values = [t[key] for t in tests if isinstance(t.get(key), (int, float)) and not isinstance(t.get(key), bool)]
        return int(max(values)) if values else None

    score = result.get("score")
    return {
        "verdict": result.get("verdict"),
        "score": float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
        "time_ms": worst("time_ms"),
        "memory_kb": worst("memory_kb"),
    }


def apply_status(cur, submission_id: str, attempt: int, status: str, *, result: dict | None = None,
                 reason: str | None = None) -> Applied:
    """Move a submission to `status` for `attempt` if `should_apply` allows it (row locked meanwhile)."""
    cur.execute("SELECT status, attempt FROM submissions WHERE id = %s FOR UPDATE", (submission_id,))
    row = cur.fetchone()
    if row is None:
        return Applied.MISSING
    if not should_apply(row["status"], row["attempt"], status, attempt):
        return Applied.STALE
    if status == Status.JUDGED:
        s = summarize_result(result or {})
        cur.execute(
            "UPDATE submissions SET status = 'JUDGED', attempt = %s, verdict = %s, score = %s, time_ms = %s,"
            " memory_kb = %s, result_json = %s, failure_reason = NULL WHERE id = %s",
            (attempt, s["verdict"], s["score"], s["time_ms"], s["memory_kb"], json.dumps(result), submission_id),
        )
    elif status == Status.FAILED:
        # JUDGE_ERROR is the verdict a failed submission shows; the reason says why.
        cur.execute(
            "UPDATE submissions SET status = 'FAILED', attempt = %s, verdict = 'JUDGE_ERROR', score = NULL,"
            " time_ms = NULL, memory_kb = NULL, result_json = NULL, failure_reason = %s WHERE id = %s",
            (attempt, (reason or "unknown failure")[:4000], submission_id),
        )
    else:
        cur.execute("UPDATE submissions SET status = %s, attempt = %s WHERE id = %s",
                    (str(status), attempt, submission_id))
    return Applied.APPLIED


def fail_if_unfinished(cur, submission_id: str, reason: str) -> Applied:
    """End a QUEUED or JUDGING submission FAILED at its current attempt (a dead letter, the sweeper's
    last word); a final row is left alone, and a late JUDGED of that attempt still replaces this."""
    cur.execute(
        "UPDATE submissions SET status = 'FAILED', verdict = 'JUDGE_ERROR', score = NULL, time_ms = NULL,"
        " memory_kb = NULL, result_json = NULL, failure_reason = %s WHERE id = %s AND status IN ('QUEUED', 'JUDGING')",
        (reason[:4000], submission_id),
    )
    if cur.rowcount == 1:
        return Applied.APPLIED
    cur.execute("SELECT 1 FROM submissions WHERE id = %s", (submission_id,))
    return Applied.STALE if cur.fetchone() else Applied.MISSING


def unfinished_submissions(cur, idle_at_least_s: float, limit: int = 500) -> list[dict]:
    """QUEUED or JUDGING submissions untouched for `idle_at_least_s` or more, oldest first, with what
    the sweeper needs: the problem's limits, whether it re-sent the submission already, and how long
    ago the row changed or it was re-sent (`idle_s`, the database's clock)."""
    cur.execute(
        "SELECT s.id, s.user_id, s.problem_id, s.language, s.s3_code_path, s.status, s.attempt, p.limits_json,"
        " r.id AS resend_id, TIMESTAMPDIFF(MICROSECOND, GREATEST(s.updated_at, COALESCE(r.created_at, s.updated_at)),"
        " NOW(6)) / 1000000 AS idle_s"
        " FROM submissions s JOIN problems p ON p.id = s.problem_id"
        " LEFT JOIN outbox r ON r.submission_id = s.id AND r.purpose = 'resend'"
        " WHERE s.status IN ('QUEUED', 'JUDGING') AND s.updated_at < NOW(6) - INTERVAL %s MICROSECOND"
        " ORDER BY s.updated_at LIMIT %s",
        (int(idle_at_least_s * 1_000_000), limit),
    )
    rows = list(cur.fetchall())
    for row in rows:
        limits = row["limits_json"]
        row["limits"] = json.loads(limits) if isinstance(limits, (str, bytes)) else limits
        row["idle_s"] = float(row["idle_s"])
    return rows


def lock_unfinished(cur, submission_id: str) -> dict | None:
    """The row's status and attempt, locked, if it is still QUEUED or JUDGING."""
    cur.execute("SELECT status, attempt FROM submissions WHERE id = %s AND status IN ('QUEUED', 'JUDGING')"
                " FOR UPDATE", (submission_id,))
    return cur.fetchone()


def record_unapplied_completion(cur, submission_id: str, body: str, error: str,
                                max_chars: int = MAX_UNAPPLIED_CHARS) -> None:
    """Keep a completion the database refused as received (cut to `max_chars`, marked so), for a person."""
    if len(body) > max_chars:
        body = body[:max_chars] + f"\n[truncated: {len(body)} characters received]"
    cur.execute("INSERT INTO unapplied_completions (submission_id, body, error) VALUES (%s, %s, %s)",
                (submission_id, body, error[:1000]))


def refused_for_good(error: Exception) -> bool:
    """Whether the database refused a statement for its values (out of a column's range, too long, a
    broken constraint): sending the same values again will be refused again. Anything else (a lost
    connection, a deadlock, a timeout) may pass on a retry."""
    if isinstance(error, (pymysql.err.DataError, pymysql.err.IntegrityError)):
        return True
    code = error.args[0] if isinstance(error, pymysql.err.MySQLError) and error.args else None
    return code in CHECK_CONSTRAINT_FAILED


# ---- the outbox ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    submission_id: str
    purpose: str  # 'intake' or 'resend'
    body: str


def add_to_outbox(cur, submission_id: str, body: str, purpose: str = "intake") -> int | None:
    """Queue a message to send with the caller's transaction; None if this submission already has one
    for this purpose (the sweeper re-sends at most once)."""
    cur.execute("INSERT IGNORE INTO outbox (submission_id, purpose, body) VALUES (%s, %s, %s)",
                (submission_id, purpose, body))
    return cur.lastrowid if cur.rowcount == 1 else None


def claim_outbox(cur, limit: int, outbox_id: int | None = None) -> list[OutboxMessage]:
    """Unsent messages, oldest first, locked until the caller's transaction ends; rows another relay
    holds are skipped (SKIP LOCKED), so two relays never send the same row at the same time."""
    where = "sent_at IS NULL" + (" AND id = %s" if outbox_id is not None else "")
    args = (outbox_id, limit) if outbox_id is not None else (limit,)
    cur.execute(f"SELECT id, submission_id, purpose, body FROM outbox WHERE {where} ORDER BY id LIMIT %s"
                " FOR UPDATE SKIP LOCKED", args)
    return [OutboxMessage(r["id"], r["submission_id"], r["purpose"], r["body"]) for r in cur.fetchall()]


def mark_outbox_sent(cur, outbox_ids: list[int]) -> None:
    if outbox_ids:
        cur.execute(f"UPDATE outbox SET sent_at = NOW(6) WHERE id IN ({', '.join(['%s'] * len(outbox_ids))})",
                    tuple(outbox_ids))


def mark_outbox_failed(cur, outbox_id: int, error: str) -> None:
    cur.execute("UPDATE outbox SET send_failures = send_failures + 1, last_error = %s WHERE id = %s",
                (error[:1000], outbox_id))


def prune_sent_outbox(cur, older_than_days: int, limit: int = 1000) -> int:
    """Delete messages sent more than `older_than_days` ago; how many went. The sweeper gives up on a
    submission within hours, so a week-old 'resend' row no longer says anything it needs."""
    cur.execute("DELETE FROM outbox WHERE sent_at < NOW(6) - INTERVAL %s DAY LIMIT %s", (older_than_days, limit))
    return cur.rowcount


def pending_outbox_count(cur) -> int:
    cur.execute("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL")
    return cur.fetchone()["n"]


# ---- idempotency keys ----------------------------------------------------------------------------


def claim_idempotency_key(cur, user_id: str, key: str, submission_id: str, request_sha256: str) -> None:
    """Insert the key; raises pymysql.err.IntegrityError if another request holds it (InnoDB makes a
    concurrent second insert wait for the first transaction, so exactly one wins)."""
    cur.execute(
        "INSERT INTO idempotency_keys (user_id, `key`, submission_id, request_sha256) VALUES (%s, %s, %s, %s)",
        (user_id, key, submission_id, request_sha256),
    )


def get_idempotency_key(cur, user_id: str, key: str) -> dict | None:
    cur.execute(
        "SELECT i.submission_id, i.request_sha256, s.status FROM idempotency_keys i"
        " JOIN submissions s ON s.id = i.submission_id WHERE i.user_id = %s AND i.`key` = %s",
        (user_id, key),
    )
    return cur.fetchone()


# ---- toolchains ----------------------------------------------------------------------------------


def record_toolchain(cur, language: str, version: str) -> None:
    """What a sandbox function's compiler said it is; the latest report wins."""
    cur.execute(
        "INSERT INTO toolchains (language, version, reported_at) VALUES (%s, %s, CURRENT_TIMESTAMP(6))"
        # No VALUES(column): MariaDB would want SELECT on it, which the worker's user lacks.
        " ON DUPLICATE KEY UPDATE version = %s, reported_at = CURRENT_TIMESTAMP(6)",
        (language, version[:200], version[:200]),
    )


def toolchains(cur) -> dict[str, dict]:
    """language -> {"version", "reported_at"} of every language a worker has reported on."""
    cur.execute("SELECT language, version, reported_at FROM toolchains")
    return {row["language"]: row for row in cur.fetchall()}


# ---- rate limits (token buckets; the rule is backend/quota.py's) --------------------------------------


def lock_bucket(cur, user_id: str, action: str, capacity: float) -> tuple[float, float, Any]:
    """Lock the user's bucket for `action` (a new one starts full); (tokens, seconds since they were
    counted, the database's now), all by the database's clock."""
    # ON DUPLICATE KEY UPDATE locks an existing row exclusively at once; INSERT IGNORE would take a shared
    # lock first, and two requests upgrading theirs to FOR UPDATE deadlock.
    cur.execute("INSERT INTO rate_limits (user_id, action, tokens, refilled_at) VALUES (%s, %s, %s, NOW(6))"
                " ON DUPLICATE KEY UPDATE tokens = tokens", (user_id, action, capacity))
    cur.execute(
        "SELECT tokens, TIMESTAMPDIFF(MICROSECOND, refilled_at, NOW(6)) AS elapsed_us, NOW(6) AS now"
        " FROM rate_limits WHERE user_id = %s AND action = %s FOR UPDATE",
        (user_id, action),
    )
    row = cur.fetchone()
    return float(row["tokens"]), max(0, int(row["elapsed_us"])) / 1e6, row["now"]


def set_bucket(cur, user_id: str, action: str, tokens: float, counted_at) -> None:
    cur.execute("UPDATE rate_limits SET tokens = %s, refilled_at = %s WHERE user_id = %s AND action = %s",
                (tokens, counted_at, user_id, action))


# ---- runs on custom input (the rules of a run's states are contracts.runs') ------------------------


def insert_run(cur, *, id: str, user_id: str, language: str, limits: dict) -> None:
    cur.execute("INSERT INTO runs (id, user_id, language, status, attempt, limits_json) VALUES (%s, %s, %s,"
                " 'QUEUED', 0, %s)", (id, user_id, language, json.dumps(limits, sort_keys=True)))


def get_run(cur, run_id: str) -> dict | None:
    cur.execute("SELECT id, user_id, language, status, attempt, limits_json, result_json, failure_reason,"
                " created_at, updated_at FROM runs WHERE id = %s", (run_id,))
    row = cur.fetchone()
    for key in ("limits_json", "result_json"):
        if row and isinstance(row[key], (str, bytes)):
            row[key] = json.loads(row[key])
    return row


def apply_run_status(cur, run_id: str, attempt: int, status: str, *, result: dict | None = None,
                     reason: str | None = None) -> Applied:
    """Move a run to RUNNING, DONE or FAILED under the submissions' rule (`should_apply`: RUNNING is
    its JUDGING, DONE its JUDGED), row locked meanwhile."""
    as_submission = {"QUEUED": "QUEUED", "RUNNING": "JUDGING", "DONE": "JUDGED", "FAILED": "FAILED"}
    cur.execute("SELECT status, attempt FROM runs WHERE id = %s FOR UPDATE", (run_id,))
    row = cur.fetchone()
    if row is None:
        return Applied.MISSING
    if not should_apply(as_submission[row["status"]], row["attempt"], as_submission[status], attempt):
        return Applied.STALE
    cur.execute("UPDATE runs SET status = %s, attempt = %s, result_json = %s, failure_reason = %s WHERE id = %s",
                (status, attempt, json.dumps(result) if result is not None else None,
                 (reason or "unknown failure")[:4000] if status == "FAILED" else None, run_id))
    return Applied.APPLIED


def mark_run_intake_failed(cur, run_id: str, reason: str) -> None:
    cur.execute("UPDATE runs SET status = 'FAILED', failure_reason = %s WHERE id = %s AND status = 'QUEUED'",
                (reason[:4000], run_id))


# ---- submission details: mode and live progress -----------------------------------------------------


def set_submission_mode(cur, submission_id: str, mode: str) -> None:
    cur.execute("INSERT INTO submission_details (submission_id, mode) VALUES (%s, %s)", (submission_id, mode))


def record_progress(cur, submission_id: str, attempt: int, tests_done: int, tests_total: int) -> Applied:
    """Tests done of total for the attempt judging now; a message of an older attempt, or of one
    that is no longer JUDGING (progress that arrives after the verdict), changes nothing."""
    cur.execute("SELECT status, attempt FROM submissions WHERE id = %s FOR UPDATE", (submission_id,))
    row = cur.fetchone()
    if row is None:
        return Applied.MISSING
    if attempt < row["attempt"] or row["status"] in (Status.JUDGED, Status.FAILED):
        return Applied.STALE
    cur.execute("SELECT progress_attempt, tests_done FROM submission_details WHERE submission_id = %s FOR UPDATE",
                (submission_id,))
    seen = cur.fetchone()
    # Progress only moves forward within an attempt: the queue does not keep order.
    if seen and seen["progress_attempt"] is not None and (
            (attempt, tests_done) <= (seen["progress_attempt"], seen["tests_done"] or 0)):
        return Applied.STALE
    cur.execute("INSERT INTO submission_details (submission_id, progress_attempt, tests_done, tests_total)"
                " VALUES (%s, %s, %s, %s) ON DUPLICATE KEY UPDATE progress_attempt = %s, tests_done = %s,"
                " tests_total = %s", (submission_id, attempt, tests_done, tests_total, attempt, tests_done, tests_total))
    return Applied.APPLIED


def submission_details(cur, submission_id: str) -> dict:
    """{"mode", "tests_done", "tests_total"} of a submission (mode 'full' and no progress if none)."""
    cur.execute("SELECT mode, tests_done, tests_total FROM submission_details WHERE submission_id = %s",
                (submission_id,))
    return cur.fetchone() or {"mode": "full", "tests_done": None, "tests_total": None}


# ---- admins and rejudge (the rule is backend/rejudge.py's) ------------------------------------------


def make_admin(cur, user_id: str) -> None:
    cur.execute("INSERT IGNORE INTO admins (user_id) VALUES (%s)", (user_id,))


def is_admin(cur, user_id: str) -> bool:
    cur.execute("SELECT 1 FROM admins WHERE user_id = %s", (user_id,))
    return cur.fetchone() is not None


def final_submissions_of(cur, problem_id: str, verdicts: list[str] | None = None) -> list[dict]:
    """The problem's judged or failed submissions (only those with one of `verdicts` if given), locked."""
    where, args = "problem_id = %s AND status IN ('JUDGED', 'FAILED')", [problem_id]
    if verdicts:
        where += f" AND verdict IN ({', '.join(['%s'] * len(verdicts))})"
        args += verdicts
    cur.execute("SELECT s.id, s.user_id, s.problem_id, s.language, s.s3_code_path, s.attempt,"
                " COALESCE(d.mode, 'full') AS mode FROM submissions s"
                f" LEFT JOIN submission_details d ON d.submission_id = s.id WHERE {where} ORDER BY s.created_at"
                " FOR UPDATE", args)
    return cur.fetchall()


def requeue_for_rejudge(cur, submission_id: str, attempt: int) -> None:
    """Keep the submission's result in submission_history, then make it QUEUED at `attempt` (above
    every attempt it had: their late messages are stale) with no result and no progress."""
    cur.execute(
        "INSERT INTO submission_history (submission_id, attempt, status, verdict, score, time_ms, memory_kb,"
        " result_json, failure_reason, judged_at) SELECT id, attempt, status, verdict, score, time_ms, memory_kb,"
        " result_json, failure_reason, updated_at FROM submissions WHERE id = %s",
        (submission_id,),
    )
    cur.execute("UPDATE submissions SET status = 'QUEUED', attempt = %s, verdict = NULL, score = NULL, time_ms = NULL,"
                " memory_kb = NULL, result_json = NULL, failure_reason = NULL WHERE id = %s", (attempt, submission_id))
    cur.execute("UPDATE submission_details SET progress_attempt = NULL, tests_done = NULL, tests_total = NULL"
                " WHERE submission_id = %s", (submission_id,))


def submission_history(cur, submission_id: str) -> list[dict]:
    """Earlier results of a rejudged submission, oldest first."""
    cur.execute("SELECT attempt, status, verdict, score, time_ms, memory_kb, failure_reason, judged_at, rejudged_at"
                " FROM submission_history WHERE submission_id = %s ORDER BY attempt", (submission_id,))
    return cur.fetchall()
