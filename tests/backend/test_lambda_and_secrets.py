"""Configuration from the environment as in Lambda: the DB secret in Secrets Manager, API Gateway events."""

from __future__ import annotations

import importlib
import json
import uuid

from store import DbConfig
from store import repositories as repo


def test_db_config_from_a_real_secret(db, aws, localstack):
    cfg = db.config
    arn = aws.secrets.create_secret(
        Name=f"oj-db-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps({"username": cfg.user, "password": cfg.password, "host": cfg.host,
                                 "port": cfg.port, "dbname": cfg.database}),
    )["ARN"]
    loaded = DbConfig.from_env({"DB_SECRET_ARN": arn}, secrets_client=aws.secrets)
    assert loaded == cfg
    conn = loaded.connect()  # and it really connects
    conn.close()


def test_api_behind_api_gateway(db, aws, localstack, monkeypatch):
    cfg = db.config
    env = {"DB_HOST": cfg.host, "DB_PORT": str(cfg.port), "DB_NAME": cfg.database, "DB_USER": cfg.user,
           "DB_PASSWORD": cfg.password, "SUBMISSIONS_BUCKET": aws.bucket, "SUBMISSION_QUEUE_URL": aws.submission_queue,
           "AWS_ENDPOINT_URL": localstack.endpoint_url, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with db.transaction() as cur:
        repo.upsert_problem(cur, repo.Problem("p", "P", "pass-fail", {}, "0" * 64, False))
        _, token = repo.create_user(cur, "gw")
    import backend.api.lambda_entry as entry

    entry = importlib.reload(entry)  # built from this test's environment

    def event(method, path, body=None):
        return {
            "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {"authorization": f"Bearer {token}", "content-type": "application/json",
                        "host": "api.example"},
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                        "sourceIp": "10.0.0.1", "userAgent": "t"},
                               "stage": "$default", "requestId": "r", "accountId": "1", "apiId": "a",
                               "domainName": "api.example", "timeEpoch": 0, "time": "now"},
            "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
        }

    r = entry.handler(event("POST", "/v1/submissions", {"problem_id": "p", "language": "c",
                                                          "source_code": "int main(){return 0;}"}), None)
    assert r["statusCode"] == 202, r
    sid = json.loads(r["body"])["submission_id"]
    r = entry.handler(event("GET", f"/v1/submissions/{sid}"), None)
    assert r["statusCode"] == 200 and json.loads(r["body"])["status"] == "QUEUED"
    assert len(aws.receive(aws.submission_queue)) == 1


def test_migrate_sets_up_the_worker_user_from_its_secret(db, aws, localstack, worker_account, monkeypatch,
                                                          capsys):
    """`judge-admin migrate --worker-secret-arn` as the master user: the worker then logs in with the
    secret Terraform gives the workers, reads problems and is refused the users table."""
    import dataclasses

    import pymysql
    import pytest

    from backend.admin_cli import main as admin_main

    cfg = db.config
    arn = aws.secrets.create_secret(Name=f"oj-db-worker-{uuid.uuid4().hex[:8]}",
                                    SecretString=json.dumps({"username": worker_account, "password": "w-pw"}))["ARN"]
    env = {"DB_HOST": cfg.host, "DB_PORT": str(cfg.port), "DB_NAME": cfg.database, "DB_USER": cfg.user,
           "DB_PASSWORD": cfg.password, "AWS_ENDPOINT_URL": localstack.endpoint_url,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "DB_WORKER_SECRET_ARN": arn}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("DB_SECRET_ARN", raising=False)
    assert admin_main(["migrate"]) == 0
    assert f"worker user {worker_account}@%" in capsys.readouterr().err

    worker = DbConfig.from_env({"DB_SECRET_ARN": arn, "DB_HOST": cfg.host, "DB_PORT": str(cfg.port),
                                "DB_NAME": cfg.database}, secrets_client=aws.secrets)
    assert worker == dataclasses.replace(cfg, user=worker_account, password="w-pw")
    conn = worker.connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT COUNT(*) AS n FROM problems")
            assert cur.fetchone()["n"] == 0
            with pytest.raises(pymysql.err.OperationalError) as caught:
                cur.execute("SELECT id FROM users")
            assert caught.value.args[0] == 1142
    finally:
        conn.close()

    # Without the secret, migrate touches no user; with --worker-require-ssl the user needs TLS (none here).
    monkeypatch.delenv("DB_WORKER_SECRET_ARN")
    assert admin_main(["migrate"]) == 0
    assert admin_main(["migrate", "--worker-secret-arn", arn, "--worker-require-ssl"]) == 0
    with pytest.raises(pymysql.err.OperationalError):
        worker.connect()
