"""The workers' database user against a real MariaDB: it can do what a worker does (the package store's
reads, the direct result update) and nothing else; setting it up again is harmless and takes a new
password; REQUIRE SSL is really set."""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
import uuid

import pymysql
import pytest

from contracts.messages import CompletionMessage
from judge.result import SubmissionResult, TestResult
from judge.verdict import Verdict
from store import Database, DbConfig
from store import repositories as repo
from store.grants import WORKER_GRANTS, GrantError, credentials_from_secret, ensure_worker_user
from store.package_store import DatabasePackageStore
from store.packages import PackageRef, package_key, record_package_object, store_package

TABLE_ACCESS_DENIED = 1142  # ER_TABLEACCESS_DENIED_ERROR
COLUMN_ACCESS_DENIED = 1143  # ER_COLUMNACCESS_DENIED_ERROR
ACCESS_DENIED = 1045


def setup_worker(db_config: DbConfig, username: str, password: str, **kw) -> DbConfig:
    conn = db_config.connect()  # a new connection: CREATE USER (a global privilege) counts from the next one
    try:
        ensure_worker_user(conn, database=db_config.database, username=username, password=password, **kw)
    finally:
        conn.close()
    return dataclasses.replace(db_config, user=username, password=password)


def a_package() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        body = b"name: P\n"
        info = tarfile.TarInfo("problem.yaml")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def refused(conn, sql: str, args=()) -> int:
    with conn.cursor() as cur:
        with pytest.raises(pymysql.err.MySQLError) as caught:
            cur.execute(sql, args)
    return caught.value.args[0]


def test_the_worker_user_reads_and_updates_what_a_worker_does_and_nothing_else(db, db_config, worker_account):
    data = a_package()
    submission = str(uuid.uuid4())
    with db.transaction() as cur:
        sha = store_package(cur, data, chunk_size=100)  # several chunks
        repo.upsert_problem(cur, repo.Problem("p1", "P", "pass-fail", {}, sha, False))
        user, _ = repo.create_user(cur, "alice")
        repo.insert_submission(cur, id=submission, user_id=user.id, problem_id="p1", language="python",
                               s3_code_path=f"s3://b/submissions/{submission}/main.py")
        cur.execute("SELECT updated_at FROM submissions WHERE id = %s", (submission,))
        before = cur.fetchone()["updated_at"]

    worker = Database(setup_worker(db_config, worker_account, "worker-pw-1"))
    try:
        # What the worker runs: the package store's reads and the direct result update.
        store = DatabasePackageStore(worker)
        assert store.package_ref("p1") == PackageRef(sha)  # not in the bucket: the legacy chunks
        assert store.package_bytes(sha) == data
        with db.transaction() as cur:
            record_package_object(cur, PackageRef(sha, package_key(sha), len(data)))
        assert store.package_ref("p1") == PackageRef(sha, package_key(sha), len(data))
        store.apply_completion(CompletionMessage.judging(submission, 1))
        result = SubmissionResult(Verdict.ACCEPTED, "python", time_ms=5, wall_ms=6, memory_kb=1000, tests=[
            TestResult("sample/1", "sample", Verdict.ACCEPTED, 5, 6, 1000)]).to_json()
        store.apply_completion(CompletionMessage.judged(submission, 1, result))
        with db.transaction() as cur:
            row = repo.get_submission(cur, submission)
        assert (row["status"], row["attempt"], row["verdict"], row["time_ms"]) == ("JUDGED", 1, "ACCEPTED", 5)
        assert row["updated_at"] > before  # ON UPDATE CURRENT_TIMESTAMP needs no grant of its own
        store.record_toolchain("python", "Python 3.12.1")  # new row, then the same row again
        store.record_toolchain("python", "Python 3.12.2")
        with db.transaction() as cur:
            assert repo.toolchains(cur)["python"]["version"] == "Python 3.12.2"

        # And nothing else.
        with worker.connection() as conn:
            for sql in ("SELECT * FROM users", "SELECT token_sha256 FROM users", "SELECT * FROM idempotency_keys",
                        "SELECT * FROM problem_grants", "SELECT * FROM schema_migrations",
                        "UPDATE users SET name = 'x'", "DELETE FROM users",
                        "INSERT INTO problems (id, name, limits_json, package_sha256) VALUES ('x', 'x', '{}', 'x')",
                        "UPDATE problems SET package_sha256 = 'x'", "DELETE FROM problems",
                        "INSERT INTO problem_packages (sha256, seq, chunk) VALUES ('x', 0, 'x')",
                        "DELETE FROM problem_packages",
                        "INSERT INTO submissions (id, user_id, problem_id, language, s3_code_path)"
                        " VALUES ('x', 'x', 'x', 'x', 'x')",
                        "DELETE FROM submissions", "DELETE FROM toolchains",
                        "DROP TABLE problem_packages", "DROP TABLE users", "TRUNCATE TABLE submissions",
                        "CREATE TABLE more (id INT)", "ALTER TABLE submissions ADD COLUMN x INT"):
                assert refused(conn, sql) == TABLE_ACCESS_DENIED, sql
            # Of submissions, only the columns of the status update (`*` is refused as a table access).
            for sql in ("SELECT user_id FROM submissions", "SELECT s3_code_path FROM submissions",
                        "UPDATE submissions SET user_id = 'x'", "UPDATE submissions SET problem_id = 'x' WHERE id = 'x'"):
                assert refused(conn, sql) == COLUMN_ACCESS_DENIED, sql
            assert refused(conn, "SELECT * FROM submissions") == TABLE_ACCESS_DENIED
            with conn.cursor() as cur:
                cur.execute("SHOW GRANTS")
                shown = " ".join(next(iter(r.values())) for r in cur.fetchall())
            assert "GRANT OPTION" not in shown and "ALL PRIVILEGES" not in shown
    finally:
        worker.close()


def shown_grants(cfg: DbConfig) -> list[str]:
    conn = cfg.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW GRANTS")
            return sorted(next(iter(r.values())) for r in cur.fetchall())
    finally:
        conn.close()


def test_setting_the_worker_user_up_again_is_harmless_and_takes_a_new_password(db, db_config, worker_account):
    first = setup_worker(db_config, worker_account, "pw-one")
    grants = shown_grants(first)
    # USAGE (the login) + problems, package_objects, problem_packages, submissions, toolchains
    assert len(grants) == 1 + 5
    admin = db_config.connect()
    try:
        with admin.cursor() as cur:  # a privilege given by hand since is taken back by the next run
            cur.execute(f"GRANT SELECT ON `{db_config.database}`.`users` TO %s@'%%'", (worker_account,))
    finally:
        admin.close()
    assert len(shown_grants(first)) == 7
    assert setup_worker(db_config, worker_account, "pw-one") == first
    assert shown_grants(first) == grants

    setup_worker(db_config, worker_account, "pw-two")
    with pytest.raises(pymysql.err.OperationalError) as caught:
        first.connect()
    assert caught.value.args[0] == ACCESS_DENIED
    conn = dataclasses.replace(first, password="pw-two").connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) AS n FROM problems")
            assert cur.fetchone()["n"] == 0
        assert refused(conn, "SELECT * FROM users") == TABLE_ACCESS_DENIED
    finally:
        conn.close()


def test_the_worker_user_can_be_required_to_use_tls(db, db_config, worker_account):
    """The local MariaDB has no TLS: a user that requires it cannot log in here at all."""
    cfg = setup_worker(db_config, worker_account, "pw", require_ssl=True)
    with pytest.raises(pymysql.err.OperationalError) as caught:
        cfg.connect()
    assert caught.value.args[0] == ACCESS_DENIED
    setup_worker(db_config, worker_account, "pw", require_ssl=False)  # and the next run can drop it again
    cfg.connect().close()


def test_the_grants_name_only_the_workers_tables():
    assert {g.table for g in WORKER_GRANTS} == {"problems", "package_objects", "problem_packages", "submissions",
                                                "toolchains"}
    assert {g.privilege for g in WORKER_GRANTS} == {"SELECT", "INSERT", "UPDATE"}
    assert all(g.columns for g in WORKER_GRANTS if g.table == "toolchains")
    assert all(g.columns for g in WORKER_GRANTS if g.table == "submissions")


def test_bad_names_and_secrets_are_refused(db_config):
    with pytest.raises(GrantError, match="plain name"):
        ensure_worker_user(None, database=db_config.database, username="x'; DROP", password="p")
    with pytest.raises(GrantError, match="database name"):
        ensure_worker_user(None, database="a`b", username="w", password="p")
    with pytest.raises(GrantError, match="password"):
        ensure_worker_user(None, database="d", username="w", password="")

    class Secrets:
        def __init__(self, secret):
            self.secret = secret

        def get_secret_value(self, SecretId):
            return {"SecretString": json.dumps(self.secret)}

    assert credentials_from_secret("arn:x", secrets_client=Secrets({"password": "p"})) == ("judge_worker", "p")
    assert credentials_from_secret("arn:x", secrets_client=Secrets({"username": "u", "password": "p"})) == ("u", "p")
    with pytest.raises(GrantError, match="no password"):
        credentials_from_secret("arn:x", secrets_client=Secrets({"username": "u"}))
