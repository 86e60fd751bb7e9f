"""Where the database is and how to connect: env DB_* or a Secrets Manager secret (DB_SECRET_ARN).

The secret holds `{"username", "password", "host", "port", "dbname"}`; an RDS-managed secret holds only
username/password, so DB_HOST / DB_PORT / DB_NAME, when set, win over the secret's fields.

TLS: DB_TLS=true encrypts and verifies the server's certificate against the system trust store (the
RDS Proxy's is ACM's, in every store), or against the PEM bundle at DB_TLS_CA when set (an RDS
instance's certificate is signed by the RDS CAs, in no system store); DB_TLS_VERIFY=false encrypts
without verifying (an RDS instance without its CA bundle: no eavesdropping, but no proof of whom).
"""

from __future__ import annotations

import json
import os
import queue
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import pymysql
import pymysql.cursors

ACCESS_DENIED = 1045  # ER_ACCESS_DENIED_ERROR


class ConfigError(RuntimeError):
    pass


def read_json_secret(arn: str, secrets_client=None) -> dict:
    """The JSON object a Secrets Manager secret holds (`{"username", "password", ...}`)."""
    if secrets_client is None:
        import boto3

        secrets_client = boto3.client("secretsmanager")
    try:
        secret = json.loads(secrets_client.get_secret_value(SecretId=arn)["SecretString"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"DB secret {arn} is not a JSON object with SecretString: {exc}") from None
    if not isinstance(secret, dict):
        raise ConfigError(f"DB secret {arn} is not a JSON object")
    return secret


@dataclass(frozen=True)
class DbConfig:
    host: str
    port: int
    database: str
    user: str
    password: str = ""
    connect_timeout: float = 5.0
    # TLS with the system trust store (RDS Proxy requires TLS and presents an ACM certificate), or
    # with the CA bundle at tls_ca; tls_verify=False encrypts without checking the certificate.
    tls: bool = False
    tls_ca: str | None = None
    tls_verify: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, secrets_client=None) -> DbConfig:
        env = os.environ if env is None else env
        fields: dict[str, object] = {}
        arn = env.get("DB_SECRET_ARN")
        if arn:
            secret = read_json_secret(arn, secrets_client)
            for ours, theirs in (("user", "username"), ("password", "password"), ("host", "host"),
                                 ("port", "port"), ("database", "dbname")):
                if secret.get(theirs) not in (None, ""):
                    fields[ours] = secret[theirs]
        for ours, var in (("host", "DB_HOST"), ("port", "DB_PORT"), ("database", "DB_NAME"),
                          ("user", "DB_USER"), ("password", "DB_PASSWORD")):
            if env.get(var):
                fields[ours] = env[var]
        fields.setdefault("port", 3306)
        fields["tls"] = env_flag(env.get("DB_TLS", "false"))
        if env.get("DB_TLS_CA"):
            fields["tls"] = True  # a CA bundle says TLS
            fields["tls_ca"] = env["DB_TLS_CA"]
        fields["tls_verify"] = env_flag(env.get("DB_TLS_VERIFY", "true"))
        missing = [k for k in ("host", "database", "user") if not fields.get(k)]
        if missing:
            raise ConfigError(
                f"database settings missing: {', '.join(missing)} (set DB_HOST, DB_NAME, DB_USER[, DB_PASSWORD, "
                "DB_PORT] or DB_SECRET_ARN)"
            )
        try:
            fields["port"] = int(fields["port"])
        except ValueError:
            raise ConfigError(f"DB port is not a number: {fields['port']!r}") from None
        return cls(**fields)  # type: ignore[arg-type]

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        try:
            context = ssl.create_default_context(cafile=self.tls_ca)  # None: the system trust store
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"DB_TLS_CA {self.tls_ca}: cannot load the CA bundle: {exc}") from None
        if not self.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def connect(self, *, autocommit: bool = False) -> pymysql.connections.Connection:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=self.database,
            charset="utf8mb4",
            autocommit=autocommit,
            connect_timeout=self.connect_timeout,
            cursorclass=pymysql.cursors.DictCursor,
            ssl=self.ssl_context(),
        )


def env_flag(value: str) -> bool:
    """An on/off environment value: 1, true or yes (any case) is on."""
    return value.strip().lower() in ("1", "true", "yes")


class Database:
    """A small connection pool. `with db.transaction() as cur:` commits on success, rolls back on error.

    Connections are checked with ping() when taken, so a server restart or an idle timeout costs one
    reconnect, not an error. Thread-safe (FastAPI runs sync endpoints in a thread pool).

    Credentials from a secret are read again when the server refuses them (MySQL error 1045): the
    RDS-managed master password rotates every 7 days, and a warm worker would otherwise fail every
    submission until its environment is recycled.
    """

    def __init__(self, config: DbConfig, *, max_idle: int = 8,
                 reload: Callable[[], DbConfig] | None = None) -> None:
        self.config = config
        self._reload = reload
        self._idle: queue.LifoQueue = queue.LifoQueue(max_idle)
        self._closed = threading.Event()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kw) -> Database:
        env = dict(os.environ if env is None else env)
        reload = (lambda: DbConfig.from_env(env, **kw)) if env.get("DB_SECRET_ARN") else None
        return cls(DbConfig.from_env(env, **kw), reload=reload)

    def _connect(self) -> pymysql.connections.Connection:
        try:
            return self.config.connect()
        except pymysql.err.OperationalError as error:
            if self._reload is None or not error.args or error.args[0] != ACCESS_DENIED:
                raise
            self.config = self._reload()  # rotated: the secret holds the new password
            return self.config.connect()

    @contextmanager
    def connection(self) -> Iterator[pymysql.connections.Connection]:
        conn = self._take()
        ok = False
        try:
            yield conn
            ok = True
        finally:
            if ok and conn.open and not self._closed.is_set():
                try:
                    # End any open transaction: a pooled connection must not keep an old read snapshot.
                    conn.rollback()
                    self._idle.put_nowait(conn)
                    conn = None
                except (queue.Full, pymysql.MySQLError):
                    pass
            if conn is not None:
                try:
                    conn.close()
                except Exception:
                    pass

    @contextmanager
    def transaction(self) -> Iterator[pymysql.cursors.DictCursor]:
        with self.connection() as conn:
            try:
                with conn.cursor() as cur:
                    yield cur
                conn.commit()
            except BaseException:
                try:
                    conn.rollback()
                except Exception:
                    pass
                raise

    def _take(self) -> pymysql.connections.Connection:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                return self._connect()
            try:
                conn.ping(reconnect=False)
                return conn
            except Exception:
                try:
                    conn.close()
                except Exception:
                    pass

    def close(self) -> None:
        self._closed.set()
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
            except Exception:
                pass
