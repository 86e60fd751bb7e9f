"""The workers' database user: exactly the privileges of the statements a worker runs, declared once.

A worker (`store.package_store.DatabasePackageStore`) reads a problem's package hash
(`repositories.get_problem`) and the package's chunks (`packages.fetch_package`), and with
RESULT_DIRECT_DB it applies its completion (`repositories.apply_status`: `SELECT status, attempt ...
WHERE id = ... FOR UPDATE`, then `UPDATE submissions SET <result columns> WHERE id = ...`). Nothing
else: no users (token hashes), grants, idempotency keys, no INSERT, DELETE or DDL anywhere.

`ensure_worker_user` creates or updates that user (run by `judge-admin migrate --worker-secret-arn`,
as the master user): create if missing, set the password, TLS requirement, revoke everything, grant
`WORKER_GRANTS`. Running it again with the same secret changes nothing; with a new password in the
secret it sets the new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from store.config import ConfigError, read_json_secret

WORKER_USERNAME = "judge_worker"
_LOCK = "oj_worker_user"
_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_HOST = re.compile(r"^[A-Za-z0-9_.%:-]{1,255}$")


@dataclass(frozen=True)
class Grant:
    privilege: str  # SELECT, INSERT or UPDATE
    table: str
    columns: tuple[str, ...] = ()  # empty: the whole table
    why: str = ""

    def sql(self, database: str) -> str:
        columns = f" ({', '.join(f'`{c}`' for c in self.columns)})" if self.columns else ""
        return f"GRANT {self.privilege}{columns} ON `{database}`.`{self.table}`"


WORKER_GRANTS: tuple[Grant, ...] = (
    Grant("SELECT", "problems", why="package_store.package_ref → packages.problem_package_ref"),
    Grant("SELECT", "package_objects", why="package_store.package_ref: the package's object in the bucket"),
    Grant("SELECT", "problem_packages", why="package_store.package_bytes → packages.fetch_package (legacy rows)"),
    # The direct result update (RESULT_DIRECT_DB): the row it locks and reads, the columns it writes.
    Grant("SELECT", "submissions", ("id", "status", "attempt"),
          why="repositories.apply_status: SELECT status, attempt ... WHERE id = %s FOR UPDATE"),
    Grant("UPDATE", "submissions",
          ("status", "attempt", "verdict", "score", "time_ms", "memory_kb", "result_json", "failure_reason"),
          why="repositories.apply_status: UPDATE submissions SET ... WHERE id = %s"),
    # What the sandbox function's toolchain says it is, for GET /v1/languages (nothing secret; MariaDB
    # wants SELECT on the columns an INSERT ... ON DUPLICATE KEY UPDATE writes).
    Grant("SELECT", "toolchains", ("language", "version", "reported_at"),
          why="repositories.record_toolchain: INSERT ... ON DUPLICATE KEY UPDATE"),
    Grant("INSERT", "toolchains", ("language", "version", "reported_at"),
          why="repositories.record_toolchain: INSERT INTO toolchains ... ON DUPLICATE KEY UPDATE"),
    Grant("UPDATE", "toolchains", ("language", "version", "reported_at"),  # MariaDB: every inserted column
          why="repositories.record_toolchain: ... ON DUPLICATE KEY UPDATE version = %s, reported_at = ..."),
)


class GrantError(RuntimeError):
    pass


def _check(value: str, pattern: re.Pattern, what: str) -> str:
    if not pattern.match(value or ""):
        raise GrantError(f"{what} {value!r} is not a plain name ({pattern.pattern})")
    return value


def grant_statements(database: str, grants: tuple[Grant, ...] = WORKER_GRANTS) -> list[str]:
    """The GRANT statements without their `TO user@host` (added with the driver's escaping)."""
    _check(database, _NAME, "database name")
    return [g.sql(database) for g in grants]


def ensure_worker_user(conn, *, database: str, username: str, password: str, host: str = "%",
                       require_ssl: bool = False, grants: tuple[Grant, ...] = WORKER_GRANTS) -> None:
    """Create or update the worker user on a PyMySQL connection of a user that may create users and
    grant these privileges (the RDS master user, the local database's owner with GRANT OPTION)."""
    _check(username, _NAME, "worker user name")
    _check(host, _HOST, "worker user host")
    if not password:
        raise GrantError("the worker user needs a password")
    statements = grant_statements(database, grants)
    account = (username, host)
    with conn.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, 60)", (_LOCK,))
        if _first(cur.fetchone()) != 1:
            raise GrantError("could not take the worker user lock within 60 s")
        try:
            cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (*account, password))
            cur.execute("ALTER USER %s@%s IDENTIFIED BY %s " + ("REQUIRE SSL" if require_ssl else "REQUIRE NONE"),
                        (*account, password))
            # Revoke then grant: whatever the user held before (an older version's grants, a hand-made
            # privilege) is gone, and it holds exactly WORKER_GRANTS.
            cur.execute("REVOKE ALL PRIVILEGES, GRANT OPTION FROM %s@%s", account)
            for statement in statements:
                cur.execute(statement + " TO %s@%s", account)
            conn.commit()
        finally:
            cur.execute("SELECT RELEASE_LOCK(%s)", (_LOCK,))
            cur.fetchall()


def credentials_from_secret(secret_arn: str, *, secrets_client=None) -> tuple[str, str]:
    """(username, password) of a Secrets Manager secret `{"username", "password", ...}`; the user name
    defaults to WORKER_USERNAME."""
    try:
        secret = read_json_secret(secret_arn, secrets_client)
    except ConfigError as error:
        raise GrantError(f"worker {error}") from None
    if not secret.get("password"):
        raise GrantError(f"worker secret {secret_arn} has no password")
    return str(secret.get("username") or WORKER_USERNAME), str(secret["password"])


def _first(row):
    return next(iter(row.values())) if isinstance(row, dict) else row[0]
