"""Versioned SQL migrations: `store/migrations/NNNN_name.sql`, applied in order, each once.

Applied versions are recorded in `schema_migrations` with the file's sha256; an applied file that
changed since is an error (migrations are immutable, write a new one). MySQL commits DDL implicitly,
so a file is not atomic: write its statements so a re-run after a crash is harmless (IF NOT EXISTS).
A named lock serialises concurrent runners (API and consumer starting together).

    python -m store      # uses DB_* / DB_SECRET_ARN
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK = "oj_schema_migrations"


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    def statements(self) -> list[str]:
        """Statements end with `;` at the end of a line; `--` comment lines are dropped."""
        body = "\n".join(line for line in self.sql.splitlines() if not line.lstrip().startswith("--"))
        return [s.strip() for s in re.split(r";\s*$", body, flags=re.MULTILINE) if s.strip()]


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        m = _FILE.match(path.name)
        if not m:
            raise MigrationError(f"{path.name}: migration files are named NNNN_snake_name.sql")
        version = int(m[1])
        if version in found:
            raise MigrationError(f"two migrations with version {version}: {found[version].name}, {m[2]}")
        found[version] = Migration(version, m[2], path.read_text())
    return [found[v] for v in sorted(found)]


def migrate(conn, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply pending migrations on a PyMySQL connection; returns the versions applied now."""
    migrations = load_migrations(directory)
    applied_now: list[int] = []
    with conn.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, 60)", (_LOCK,))
        if _row_values(cur.fetchone())[0] != 1:
            raise MigrationError("could not take the migration lock within 60 s")
        try:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INT NOT NULL PRIMARY KEY,"
                " name VARCHAR(255) NOT NULL,"
                " checksum CHAR(64) NOT NULL,"
                " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
                ") ENGINE=InnoDB"
            )
            cur.execute("SELECT version, name, checksum FROM schema_migrations")
            done = {r[0]: (r[1], r[2]) for r in map(_row_values, cur.fetchall())}
            for mig in migrations:
                if mig.version in done:
                    if done[mig.version][1] != mig.checksum:
                        raise MigrationError(
                            f"migration {mig.version:04d}_{mig.name} changed after it was applied; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                log.info("applying migration %04d_%s", mig.version, mig.name)
                for statement in mig.statements():
                    cur.execute(statement)
                cur.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                    (mig.version, mig.name, mig.checksum),
                )
                conn.commit()
                applied_now.append(mig.version)
        finally:
            cur.execute("SELECT RELEASE_LOCK(%s)", (_LOCK,))
            cur.fetchall()
    return applied_now


def _row_values(row):
    # Works with both tuple and dict cursors.
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def main() -> int:
    from store.config import DbConfig

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    conn = DbConfig.from_env().connect()
    try:
        applied = migrate(conn)
    finally:
        conn.close()
    print(f"applied: {', '.join(f'{v:04d}' for v in applied) or 'nothing (up to date)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
