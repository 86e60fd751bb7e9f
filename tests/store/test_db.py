"""Database layer against a real MariaDB: migrations, repositories, the status state machine."""

from __future__ import annotations

import json
import threading
import uuid

import pymysql
import pytest

from store import Database, DbConfig, migrate
from store import repositories as repo
from store.config import ConfigError
from store.migrate import MIGRATIONS_DIR, MigrationError, load_migrations
from store.packages import (
    PackageRef,
    delete_indexed_package_chunks,
    fetch_package,
    package_key,
    packages_only_in_the_database,
    problem_package_ref,
    record_package_object,
    store_package,
)

TABLES = {"users", "problems", "problem_grants", "problem_packages", "package_objects", "submissions",
          "idempotency_keys", "schema_migrations", "outbox", "unapplied_completions"}


def tables(db: Database) -> set[str]:
    with db.transaction() as cur:
        cur.execute("SHOW TABLES")
        return {next(iter(r.values())) for r in cur.fetchall()}


def test_migrations_create_schema_and_are_idempotent(db_config):
    db = Database(db_config)
    with db.connection() as conn:
        first = migrate(conn)
        second = migrate(conn)
    assert first == [m.version for m in load_migrations()]
    assert second == []
    assert TABLES <= tables(db)
    with db.transaction() as cur:
        cur.execute("SELECT version, checksum FROM schema_migrations")
        rows = cur.fetchall()
    assert [r["version"] for r in rows] == first


def test_concurrent_migrators_apply_each_version_once(db_config):
    results, errors = [], []

    def run():
        try:
            conn = db_config.connect()
            try:
                results.append(migrate(conn))
            finally:
                conn.close()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(len(r) for r in results) == [0, 0, 0, len(load_migrations())]


def test_changed_applied_migration_is_refused(db_config, tmp_path):
    (tmp_path / "0001_one.sql").write_text("CREATE TABLE IF NOT EXISTS t1 (id INT PRIMARY KEY);\n")
    conn = db_config.connect()
    try:
        assert migrate(conn, tmp_path) == [1]
        (tmp_path / "0002_two.sql").write_text("-- comment\nCREATE TABLE IF NOT EXISTS t2 (id INT);\n"
                                               "INSERT INTO t2 VALUES (1);\n")
        assert migrate(conn, tmp_path) == [2]
        (tmp_path / "0001_one.sql").write_text("CREATE TABLE IF NOT EXISTS t1 (id BIGINT PRIMARY KEY);\n")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            migrate(conn, tmp_path)
    finally:
        conn.close()


def test_bad_migration_file_names_are_refused(tmp_path):
    (tmp_path / "1_x.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_snake_name"):
        load_migrations(tmp_path)


def test_config_from_env_and_errors():
    cfg = DbConfig.from_env({"DB_HOST": "h", "DB_PORT": "3307", "DB_NAME": "d", "DB_USER": "u", "DB_PASSWORD": "p"})
    assert cfg == DbConfig("h", 3307, "d", "u", "p")
    assert DbConfig.from_env({"DB_HOST": "h", "DB_NAME": "d", "DB_USER": "u"}).port == 3306
    with pytest.raises(ConfigError, match="host"):
        DbConfig.from_env({"DB_NAME": "d", "DB_USER": "u"})
    with pytest.raises(ConfigError, match="port"):
        DbConfig.from_env({"DB_HOST": "h", "DB_NAME": "d", "DB_USER": "u", "DB_PORT": "x"})


class FakeSecrets:
    """Stands in for the boto3 client's one call (the LocalStack test covers the real client)."""

    def __init__(self, secret: dict):
        self.secret = secret

    def get_secret_value(self, SecretId):
        return {"SecretString": json.dumps(self.secret)}


def test_config_from_secret_env_overrides_host():
    secret = {"username": "admin", "password": "pw", "host": "rds.example", "port": 3306, "dbname": "oj"}
    cfg = DbConfig.from_env({"DB_SECRET_ARN": "arn:x"}, secrets_client=FakeSecrets(secret))
    assert cfg == DbConfig("rds.example", 3306, "oj", "admin", "pw")
    # RDS-managed secrets carry only username/password: host and db come from the environment.
    cfg = DbConfig.from_env({"DB_SECRET_ARN": "arn:x", "DB_HOST": "proxy", "DB_NAME": "judge"},
                            secrets_client=FakeSecrets({"username": "u", "password": "p"}))
    assert (cfg.host, cfg.database, cfg.user, cfg.password) == ("proxy", "judge", "u", "p")


def test_pool_does_not_serve_stale_snapshots(db):
    """A pooled connection that only read must not keep its REPEATABLE READ snapshot."""
    with db.transaction() as cur:
        repo.create_user(cur, "reader")
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM users")
        assert cur.fetchone()["n"] == 1
    other = db.config.connect(autocommit=True)
    other.cursor().execute("INSERT INTO users (id, name, token_sha256) VALUES ('x', 'x', %s)", ("0" * 64,))
    other.close()
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM users")
        assert cur.fetchone()["n"] == 2


def test_users_tokens_are_stored_hashed(db):
    with db.transaction() as cur:
        user, token = repo.create_user(cur, "alice")
    with db.transaction() as cur:
        cur.execute("SELECT token_sha256 FROM users WHERE id = %s", (user.id,))
        stored = cur.fetchone()["token_sha256"]
        assert stored == repo.hash_token(token) and token not in stored
        assert repo.user_by_token(cur, token) == user
        assert repo.user_by_token(cur, token + "x") is None
        assert repo.find_user(cur, "alice") == user
        assert repo.find_user(cur, user.id) == user
    assert len(token) >= 40


def make_problem(db, pid="p1", restricted=False):
    with db.transaction() as cur:
        problem = repo.Problem(pid, "Problem", "pass-fail", {"time_limit_s": 1.0}, "0" * 64, restricted)
        repo.upsert_problem(cur, problem)
    return problem


def test_grants_gate_restricted_problems_only(db):
    open_p, closed = make_problem(db, "open"), make_problem(db, "closed", restricted=True)
    with db.transaction() as cur:
        user, _ = repo.create_user(cur, "bob")
        assert repo.may_submit(cur, user.id, open_p)
        assert not repo.may_submit(cur, user.id, closed)
        assert repo.grant(cur, user.id, "closed") is True
        assert repo.grant(cur, user.id, "closed") is False
        assert repo.may_submit(cur, user.id, closed)
        assert repo.get_problem(cur, "closed").restricted is True


def new_submission(db, problem="p1"):
    make_problem(db, problem)
    sid = str(uuid.uuid4())
    with db.transaction() as cur:
        user, _ = repo.create_user(cur, f"u{sid[:8]}")
        repo.insert_submission(cur, id=sid, user_id=user.id, problem_id=problem, language="python",
                               s3_code_path=f"s3://b/submissions/{sid}/Main.py")
    return sid, user


RESULT_AC = {"schema_version": 1, "verdict": "ACCEPTED", "score": None, "time_ms": 12, "memory_kb": 3400,
             "compile_output": "", "tests": [{"name": "sample/1", "verdict": "ACCEPTED", "time_ms": 12}]}
RESULT_WA = {**RESULT_AC, "verdict": "WRONG_ANSWER", "time_ms": 30}


def apply(db, sid, attempt, status, result=None, reason=None):
    with db.transaction() as cur:
        return repo.apply_status(cur, sid, attempt, status, result=result, reason=reason)


def row(db, sid):
    with db.transaction() as cur:
        return repo.get_submission(cur, sid)


def test_judged_result_fills_columns(db):
    sid, _ = new_submission(db)
    assert apply(db, sid, 1, "JUDGED", RESULT_AC) == repo.Applied.APPLIED
    r = row(db, sid)
    assert (r["status"], r["verdict"], r["time_ms"], r["memory_kb"], r["attempt"]) == ("JUDGED", "ACCEPTED", 12, 3400, 1)
    assert r["result_json"] == RESULT_AC


def test_duplicate_and_older_results_never_overwrite(db):
    sid, _ = new_submission(db)
    assert apply(db, sid, 2, "JUDGED", RESULT_AC) == repo.Applied.APPLIED
    assert apply(db, sid, 2, "JUDGED", RESULT_WA) == repo.Applied.STALE  # duplicate: first wins
    assert apply(db, sid, 1, "JUDGED", RESULT_WA) == repo.Applied.STALE  # older attempt
    assert apply(db, sid, 3, "FAILED", reason="crash") == repo.Applied.STALE  # failure never hides a verdict
    assert apply(db, sid, 3, "JUDGING") == repo.Applied.STALE
    assert row(db, sid)["verdict"] == "ACCEPTED"
    assert apply(db, sid, 3, "JUDGED", RESULT_WA) == repo.Applied.APPLIED  # a newer attempt: rejudge
    assert row(db, sid)["verdict"] == "WRONG_ANSWER"


def test_failed_gives_way_to_a_later_judged(db):
    sid, _ = new_submission(db)
    assert apply(db, sid, 1, "FAILED", reason="worker timed out") == repo.Applied.APPLIED
    r = row(db, sid)
    assert (r["status"], r["verdict"], r["failure_reason"]) == ("FAILED", "JUDGE_ERROR", "worker timed out")
    assert apply(db, sid, 1, "FAILED", reason="again") == repo.Applied.STALE
    assert apply(db, sid, 1, "JUDGED", RESULT_AC) == repo.Applied.APPLIED
    r = row(db, sid)
    assert (r["status"], r["verdict"], r["failure_reason"]) == ("JUDGED", "ACCEPTED", None)


def test_unknown_submission_is_reported_missing(db):
    assert apply(db, str(uuid.uuid4()), 1, "JUDGED", RESULT_AC) == repo.Applied.MISSING


@pytest.mark.parametrize(
    "current, cur_attempt, new, new_attempt, expected",
    [
        ("QUEUED", 0, "JUDGING", 1, True),
        ("QUEUED", 0, "JUDGED", 1, True),
        ("QUEUED", 0, "FAILED", 0, True),
        ("QUEUED", 2, "JUDGED", 1, False),
        ("JUDGING", 1, "JUDGING", 1, False),
        ("JUDGING", 1, "JUDGING", 2, True),
        ("JUDGING", 2, "JUDGED", 1, False),
        ("JUDGING", 1, "FAILED", 1, True),
        ("JUDGED", 1, "JUDGED", 1, False),
        ("JUDGED", 1, "JUDGED", 2, True),
        ("JUDGED", 1, "FAILED", 5, False),
        ("JUDGED", 1, "JUDGING", 2, False),
        ("FAILED", 1, "JUDGED", 1, True),
        ("FAILED", 2, "JUDGED", 1, False),
        ("FAILED", 1, "FAILED", 1, False),
        ("FAILED", 1, "FAILED", 2, True),
        ("FAILED", 1, "JUDGING", 2, False),
    ],
)
def test_should_apply_rules(current, cur_attempt, new, new_attempt, expected):
    assert repo.should_apply(current, cur_attempt, new, new_attempt) is expected


def test_concurrent_updates_keep_the_newest(db):
    """Row lock: racing attempts end with the highest attempt's result, whatever the order."""
    sid, _ = new_submission(db)
    barrier = threading.Barrier(6)

    def send(attempt):
        barrier.wait()
        apply(db, sid, attempt, "JUDGED", {**RESULT_AC, "time_ms": attempt})

    threads = [threading.Thread(target=send, args=(a,)) for a in (1, 6, 2, 5, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    r = row(db, sid)
    assert (r["attempt"], r["time_ms"]) == (6, 6)


def test_idempotency_key_is_unique_per_user(db):
    sid, user = new_submission(db)
    with db.transaction() as cur:
        repo.claim_idempotency_key(cur, user.id, "k1", sid, "a" * 64)
    with pytest.raises(pymysql.err.IntegrityError), db.transaction() as cur:
        repo.claim_idempotency_key(cur, user.id, "k1", sid, "b" * 64)
    with db.transaction() as cur:
        found = repo.get_idempotency_key(cur, user.id, "k1")
    assert (found["submission_id"], found["request_sha256"], found["status"]) == (sid, "a" * 64, "QUEUED")


def test_fail_if_unfinished_ends_queued_and_judging_only(db):
    queued, _ = new_submission(db)
    judging, _ = new_submission(db)
    judged, _ = new_submission(db)
    apply(db, judging, 3, "JUDGING")
    apply(db, judged, 1, "JUDGED", RESULT_AC)
    with db.transaction() as cur:
        outcomes = [repo.fail_if_unfinished(cur, sid, "stuck") for sid in (queued, judging, judged, str(uuid.uuid4()))]
    assert outcomes == [repo.Applied.APPLIED, repo.Applied.APPLIED, repo.Applied.STALE, repo.Applied.MISSING]
    assert [(row(db, s)["status"], row(db, s)["failure_reason"]) for s in (queued, judging)] == [("FAILED", "stuck")] * 2
    assert row(db, judging)["attempt"] == 3  # at the attempt it had: a late JUDGED of it still wins
    assert apply(db, judging, 3, "JUDGED", RESULT_AC) == repo.Applied.APPLIED
    assert row(db, judged)["status"] == "JUDGED"


def test_an_unapplied_completion_is_kept_cut_to_size(db):
    sid, _ = new_submission(db)
    with db.transaction() as cur:
        repo.record_unapplied_completion(cur, sid, "x" * 50, "DataError: out of range", max_chars=20)
        cur.execute("SELECT body, error FROM unapplied_completions WHERE submission_id = %s", (sid,))
        kept = cur.fetchone()
    assert kept["body"] == "x" * 20 + "\n[truncated: 50 characters received]"
    assert kept["error"] == "DataError: out of range"


def test_summarize_result_takes_worst_from_tests_when_missing():
    s = repo.summarize_result({"verdict": "WRONG_ANSWER", "score": 3, "tests": [
        {"time_ms": 5, "memory_kb": 100}, {"time_ms": 9, "memory_kb": 50}, "junk"]})
    assert s == {"verdict": "WRONG_ANSWER", "score": 3.0, "time_ms": 9, "memory_kb": 100}


class Secrets:
    """Secrets Manager as the worker sees it: one secret whose value rotation replaces."""

    def __init__(self, value: dict):
        self.value, self.reads = value, 0

    def get_secret_value(self, SecretId):
        self.reads += 1
        return {"SecretString": json.dumps(self.value)}


def _as_root(mariadb, *statements: str) -> None:
    conn = mariadb._root_connect()
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
    finally:
        conn.close()


def test_a_rotated_password_is_read_again_from_the_secret(db, mariadb):
    cfg = db.config
    user = f"rot{uuid.uuid4().hex[:8]}"
    _as_root(mariadb, f"CREATE USER '{user}'@'%' IDENTIFIED BY 'first-password'",
             f"GRANT SELECT ON `{cfg.database}`.* TO '{user}'@'%'")
    secrets = Secrets({"username": user, "password": "first-password", "host": cfg.host, "port": cfg.port,
                       "dbname": cfg.database})
    worker_db = Database.from_env({"DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:db"},
                                  secrets_client=secrets)
    with worker_db.transaction() as cur:
        cur.execute("SELECT CONNECTION_ID() AS id")
        session = cur.fetchone()["id"]
    # The managed rotation: a new password on the server and in the secret; the old session is gone.
    _as_root(mariadb, f"ALTER USER '{user}'@'%' IDENTIFIED BY 'second-password'", f"KILL {int(session)}")
    secrets.value["password"] = "second-password"
    with worker_db.transaction() as cur:
        cur.execute("SELECT 1 AS ok")
        assert cur.fetchone()["ok"] == 1
    assert secrets.reads == 2 and worker_db.config.password == "second-password"
    worker_db.close()
    _as_root(mariadb, f"DROP USER '{user}'@'%'")


def test_the_package_index_migration_keeps_packages_imported_before_it(db_config, tmp_path):
    """A database at 0001 with a package in chunks: after 0002 the problem still resolves to it (no
    object key: the workers' fallback), and indexing it in the bucket is what changes that."""
    first = tmp_path / "migrations"
    first.mkdir()
    (first / "0001_initial.sql").write_text((MIGRATIONS_DIR / "0001_initial.sql").read_text())
    db = Database(db_config)
    with db.connection() as conn:
        assert migrate(conn, first) == [1]
    data = b"old archive bytes" * 100
    with db.transaction() as cur:
        sha = store_package(cur, data, chunk_size=500)
        repo.upsert_problem(cur, repo.Problem("old", "Old", "pass-fail", {}, sha, False))
    with db.connection() as conn:
        assert migrate(conn) == [v.version for v in load_migrations()][1:]
    with db.transaction() as cur:
        assert problem_package_ref(cur, "old") == PackageRef(sha)
        assert problem_package_ref(cur, "nope") is None
        assert packages_only_in_the_database(cur) == [sha]
        assert delete_indexed_package_chunks(cur) == 0  # not in the bucket: its chunks are the only copy
        assert fetch_package(cur, sha) == data
    ref = PackageRef(sha, package_key(sha), len(data))
    with db.transaction() as cur:
        record_package_object(cur, ref)
        record_package_object(cur, ref)  # again (a re-import, a second move): one row
        cur.execute("SELECT COUNT(*) AS n FROM package_objects")
        assert cur.fetchone()["n"] == 1
        assert problem_package_ref(cur, "old") == ref
        assert packages_only_in_the_database(cur) == []
        assert delete_indexed_package_chunks(cur) == 4
        assert problem_package_ref(cur, "old") == ref
    with pytest.raises(pymysql.err.MySQLError):
        with db.transaction() as cur:
            record_package_object(cur, PackageRef("e" * 64, package_key("e" * 64), 0))
    db.close()


def one_ca_certificate(path) -> str:
    """A PEM file with one real CA certificate (the first of certifi's bundle)."""
    import certifi

    bundle = open(certifi.where()).read()
    end = "-----END CERTIFICATE-----"
    first = bundle[bundle.index("-----BEGIN CERTIFICATE-----"):bundle.index(end) + len(end)] + "\n"
    path.write_text(first)
    return str(path)


def test_tls_with_a_ca_bundle_verifies_against_that_bundle_only(tmp_path):
    import ssl

    base = {"DB_HOST": "h", "DB_NAME": "d", "DB_USER": "u"}
    assert DbConfig.from_env(base).ssl_context() is None  # no TLS unless asked (the local MariaDB has none)

    system = DbConfig.from_env({**base, "DB_TLS": "true"}).ssl_context()  # the proxy: the system trust store
    assert system.verify_mode == ssl.CERT_REQUIRED and system.check_hostname

    ca = one_ca_certificate(tmp_path / "rds-ca.pem")
    cfg = DbConfig.from_env({**base, "DB_TLS_CA": ca})  # a bundle implies TLS
    assert cfg.tls and cfg.tls_ca == ca
    context = cfg.ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert len(context.get_ca_certs()) == 1  # that bundle, not the system's

    unverified = DbConfig.from_env({**base, "DB_TLS": "true", "DB_TLS_VERIFY": "false"}).ssl_context()
    assert unverified.verify_mode == ssl.CERT_NONE and not unverified.check_hostname

    with pytest.raises(ConfigError, match="DB_TLS_CA"):
        DbConfig.from_env({**base, "DB_TLS_CA": str(tmp_path / "missing.pem")}).ssl_context()
