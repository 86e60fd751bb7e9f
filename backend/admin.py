"""Problem-setter operations: import a problem package, create a user, grant a restricted problem;
the operator's one: set up the workers' database user.

The `judge-admin` command (backend/admin_cli.py) is a thin layer over these functions.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from contracts.budget import (
    DEFAULT_SANDBOX_TIMEOUT_S,
    DEFAULT_WORKER_TIMEOUT_S,
    WORST_CASE_KEY,
    misfit,
    worst_case,
)
from contracts.messages import PROBLEM_ID
from judge.problem import ProblemFormatError, load_problem
from store import repositories as repo
from store.config import Database
from store.packages import (
    MAX_CHUNK,
    PackageBucket,
    PackageRef,
    delete_indexed_package_chunks,
    fetch_package,
    pack_package,
    packages_only_in_the_database,
    record_package_object,
    store_package,
)

log = logging.getLogger(__name__)

_USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class AdminError(ValueError):
    """A problem-setter mistake, explained (unknown user, bad package, bad id): `code` is machine-readable,
    `problems` every defect of an invalid package (one line each of the message)."""

    def __init__(self, message: str, code: str = "invalid_request", problems: tuple[str, ...] = ()):
        super().__init__(message)
        self.code, self.problems = code, tuple(problems)


@dataclass(frozen=True)
class ImportedProblem:
    id: str
    name: str
    type: str
    limits: dict
    package_sha256: str
    package_bytes: int
    chunks: int  # stored in the database (0 when the archive went to the package bucket)
    restricted: bool
    object_key: str | None = None  # where in the package bucket, when it went there
    uploaded: bool = False  # False: the bucket held this archive already (or it went to the database)
    warnings: tuple[str, ...] = ()  # what the loader judged leniently (e.g. no secret data: samples only)
    created: bool = False  # no problem had this id before
    changed: bool = True  # the problem's package (or it) is new; False: the same package as before


def deployed_timeouts(env=None) -> tuple[float, float]:
    """The workers' and the sandbox functions' timeouts a problem must fit: WORKER_TIMEOUT_SECONDS and
    SANDBOX_TIMEOUT_SECONDS, the defaults where unset or unreadable."""
    env = os.environ if env is None else env

    def seconds(variable: str, default: float) -> float:
        try:
            return float(env.get(variable) or default)
        except ValueError:
            return default

    return (seconds("WORKER_TIMEOUT_SECONDS", DEFAULT_WORKER_TIMEOUT_S),
            seconds("SANDBOX_TIMEOUT_SECONDS", DEFAULT_SANDBOX_TIMEOUT_S))


@dataclass(frozen=True)
class ProblemMeta:
    name: str
    type: str  # space-separated tags as in the 2023-07 format: "pass-fail", "scoring", "+ interactive"
    limits: dict


def read_problem_meta(package_dir: Path) -> ProblemMeta:
    """Name, type and limits, from the engine's loader (which also validates the package)."""
    return _meta(_load(package_dir))


def _load(package_dir: Path):
    try:
        return load_problem(package_dir)
    except ProblemFormatError as exc:  # every defect, each naming the file and field
        raise AdminError(f"{package_dir}: {exc}", "invalid_package", exc.problems) from exc
    except Exception as exc:
        raise AdminError(f"{package_dir}: {exc}", "invalid_package", (str(exc),)) from exc


def _meta(problem) -> ProblemMeta:
    kind = "scoring" if problem.is_scoring else "pass-fail"
    if problem.is_interactive:
        kind += " interactive"
    if problem.is_multi_pass:
        kind += " multi-pass"
    # The judging time's worst case goes with the limits: the sweeper reads it to tell a slow
    # submission from a stuck one (contracts.budget.stuck_after_s) without the package at hand.
    limits = {**dataclasses.asdict(problem.limits), WORST_CASE_KEY: round(worst_case(problem).total_s, 1)}
    return ProblemMeta(problem.name, kind, limits)


def import_problem(db: Database, package_dir: str | Path, *, problem_id: str | None = None,
                   restricted: bool | None = False, packages: PackageBucket | None = None, chunk_size: int = MAX_CHUNK,
                   worker_timeout_s: float = DEFAULT_WORKER_TIMEOUT_S,
                   sandbox_timeout_s: float = DEFAULT_SANDBOX_TIMEOUT_S) -> ImportedProblem:
    """Load a package: its archive (without submissions/) to the package bucket, the problem row upserted.

    The archive goes to `packages` under `packages/<sha256>.tar.gz`, written only if absent, and is
    indexed in `package_objects` (after the write, so the index never names a missing object); the
    row's `package_sha256` makes it the problem's current version. Without a bucket (a database-only
    setup) the archive is stored in the database in chunks, as before packages moved to S3.
    Re-importing updates the row in place; an unchanged package writes nothing new. `restricted`
    None keeps what the problem had (a new one is open). A problem whose worst case cannot be judged
    within the deployed timeouts is refused with the reason. This is the one import: `judge-admin
    import-problem` and `POST /v1/problems` (backend/problem_upload.py) both call it.
    """
    package_dir = Path(package_dir)
    if not package_dir.is_dir():
        raise AdminError(f"{package_dir}: not a directory", "invalid_package")
    pid = problem_id or package_dir.resolve().name
    if PROBLEM_ID.problem(pid):  # the contract's rule: what intake and every hop accept
        raise AdminError(f"problem id {pid!r:.80}: {PROBLEM_ID.rule} (or pass --id)", PROBLEM_ID.code)
    problem = _load(package_dir)
    reason = misfit(problem, worker_timeout_s, sandbox_timeout_s)
    if reason:
        why = f"cannot be judged within the functions' timeouts: {reason}"
        raise AdminError(f"{package_dir}: {why}", "problem_too_slow", (why,))
    meta = _meta(problem)
    data = pack_package(package_dir)
    ref, uploaded = (None, False) if packages is None else packages.put(data)
    with db.transaction() as cur:
        if ref is None:
            sha = store_package(cur, data, chunk_size=chunk_size)
        else:
            sha = ref.sha256
            record_package_object(cur, ref)
        before = repo.get_problem(cur, pid, for_update=True)
        if restricted is None:
            restricted = before.restricted if before else False
        now = repo.Problem(pid, meta.name, meta.type, meta.limits, sha, restricted)
        repo.upsert_problem(cur, now)
    chunks = 0 if ref else -(-len(data) // chunk_size)
    if ref:
        log.info("imported problem %s (%s, %d bytes at s3://%s/%s, %s)", pid, sha[:12], len(data), packages.bucket,
                 ref.object_key, "written" if uploaded else "already there")
    else:
        log.info("imported problem %s (%s, %d bytes in %d chunks)", pid, sha[:12], len(data), chunks)
    for warning in problem.warnings:
        log.warning("problem %s: %s", pid, warning)
    return ImportedProblem(pid, meta.name, meta.type, meta.limits, sha, len(data), chunks, restricted,
                           ref.object_key if ref else None, uploaded, tuple(problem.warnings),
                           created=before is None, changed=before != now)


def move_packages(db: Database, packages: PackageBucket, *,
                  delete_chunks: bool = False) -> tuple[list[PackageRef], int]:
    """Copy archives stored as chunks in the database (imports from before packages moved to S3) to
    the package bucket and index them; workers then fetch them from there. Each archive is checked
    against its hash on the way (`fetch_package`). With `delete_chunks`, the chunks of every archive
    indexed in the bucket are dropped afterwards. Safe to run again: moved archives are skipped.
    Returns the archives moved now and the number of chunks dropped."""
    with db.transaction() as cur:
        pending = packages_only_in_the_database(cur)
    moved = []
    for sha in pending:
        with db.transaction() as cur:
            data = fetch_package(cur, sha)
        ref, _ = packages.put(data)
        with db.transaction() as cur:
            record_package_object(cur, ref)
        moved.append(ref)
        log.info("moved package %s (%d bytes) to s3://%s/%s", sha[:12], len(data), packages.bucket, ref.object_key)
    deleted = 0
    if delete_chunks:
        with db.transaction() as cur:
            deleted = delete_indexed_package_chunks(cur)
    return moved, deleted


def create_user(db: Database, name: str, *, is_admin: bool = False) -> tuple[repo.User, str]:
    """A new user and its bearer token (shown once; only its sha256 is stored); an admin's token may
    rejudge (backend/rejudge.py)."""
    if not _USER_NAME.match(name):
        raise AdminError(f"user name {name!r}: use letters, digits, '_', '.', '@', '-' (max 64)")
    import pymysql

    try:
        with db.transaction() as cur:
            user, token = repo.create_user(cur, name)
            if is_admin:
                repo.make_admin(cur, user.id)
            return user, token
    except pymysql.err.IntegrityError:
        raise AdminError(f"user {name!r} already exists") from None


def grant(db: Database, user: str, problem_id: str) -> bool:
    """Let `user` (name or id) submit to a restricted problem; False if already granted."""
    with db.transaction() as cur:
        return repo.grant(cur, _granted_user(cur, user, problem_id).id, problem_id)


def revoke(db: Database, user: str, problem_id: str) -> bool:
    """Take the grant back from `user` (name or id); False if there was none."""
    with db.transaction() as cur:
        return repo.revoke(cur, _granted_user(cur, user, problem_id).id, problem_id)


def grants(db: Database, problem_id: str) -> tuple[repo.Problem, list[repo.Grant]]:
    """The problem and who was granted it, by user name."""
    with db.transaction() as cur:
        problem = _problem(cur, problem_id)
        return problem, repo.grants_of(cur, problem_id)


def _problem(cur, problem_id: str) -> repo.Problem:
    problem = repo.get_problem(cur, problem_id)
    if problem is None:
        raise AdminError(f"no problem {problem_id!r} (import it first)", "problem_not_found")
    return problem


def _granted_user(cur, user: str, problem_id: str) -> repo.User:
    found = repo.find_user(cur, user)
    if found is None:
        raise AdminError(f"no user {user!r}", "user_not_found")
    _problem(cur, problem_id)
    return found


def ensure_worker_user(db: Database, worker_secret_arn: str, *, require_ssl: bool = False, host: str = "%",
                       secrets_client=None) -> str:
    """Create or update the workers' database user from its secret (store/grants.py); returns its name.
    `db` must be connected as a user that may create users and grant (the master user)."""
    from store.grants import credentials_from_secret
    from store.grants import ensure_worker_user as ensure

    username, password = credentials_from_secret(worker_secret_arn, secrets_client=secrets_client)
    with db.connection() as conn:
        ensure(conn, database=db.config.database, username=username, password=password, host=host,
               require_ssl=require_ssl)
    return username
