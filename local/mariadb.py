"""A throwaway MariaDB server: fresh data directory, free port on 127.0.0.1, real user with a password.

Used by the test fixture and by `make run` as the local stand-in for RDS MySQL. Nothing is shared
with a system MariaDB: `--no-defaults` keeps /etc/mysql out, the socket lives in the data dir.

    with MariaDB() as db:
        print(db.host, db.port, db.user, db.password, db.database)

`python -m local.mariadb` starts one, prints its settings as DB_* environment lines and serves until
SIGINT/SIGTERM.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARIADBD = os.environ.get("MARIADBD", shutil.which("mariadbd") or "/usr/sbin/mariadbd")
INSTALL_DB = os.environ.get("MARIADB_INSTALL_DB", shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db")


class MariaDBError(RuntimeError):
    """The server could not be installed or started; the message carries the tail of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDB:
    def __init__(
        self,
        *,
        base_dir: str | os.PathLike | None = None,
        port: int | None = None,
        database: str = "judge",
        user: str = "judge",
        password: str | None = None,
        startup_timeout: float = 30.0,
    ) -> None:
        self.host = "127.0.0.1"
        self.requested_port = port
        self.port: int = port or 0
        self.database = database
        self.user = user
        self.password = password or secrets.token_urlsafe(18)
        self.startup_timeout = startup_timeout
        self._own_dir = base_dir is None
        self.base_dir = Path(base_dir) if base_dir else None
        self.proc: subprocess.Popen | None = None

    # Paths live under base_dir; the socket path must stay short (sun_path is 108 bytes).
    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_path(self) -> Path:
        return self.data_dir / "mysqld.sock"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "mariadbd.log"

    def env(self) -> dict[str, str]:
        """The DB_* variables the backend reads (store.config)."""
        return {
            "DB_HOST": self.host,
            "DB_PORT": str(self.port),
            "DB_NAME": self.database,
            "DB_USER": self.user,
            "DB_PASSWORD": self.password,
        }

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> MariaDB:
        if self.proc is not None:
            raise MariaDBError("already started")
        for tool in (MARIADBD, INSTALL_DB):
            if not Path(tool).exists():
                raise MariaDBError(f"{tool} not found: run `make mariadb-install` (apt-get install mariadb-server)")
        if self.base_dir is None:
            self.base_dir = Path(tempfile.mkdtemp(prefix="oj-mariadb-"))
        self.base_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._install()
            # A free port can be taken between probing and binding; retry with another one.
            for _attempt in range(3):
                self.port = self.requested_port or free_port()
                self._spawn()
                if self._wait_ready():
                    break
                if self.requested_port or "already in use" not in self.log_tail():
                    raise MariaDBError(f"mariadbd did not become ready; log:\n{self.log_tail()}")
            else:
                raise MariaDBError(f"mariadbd could not bind a port; log:\n{self.log_tail()}")
            self._create_user_and_database()
        except BaseException:
            self.stop()
            raise
        return self

    def _install(self) -> None:
        if (self.data_dir / "mysql").is_dir():
            return
        cmd = [
            INSTALL_DB,
            "--no-defaults",
            f"--datadir={self.data_dir}",
            "--auth-root-authentication-method=normal",  # root over the private socket, no password
            "--skip-test-db",
            "--skip-name-resolve",
        ]
        if os.geteuid() == 0:
            cmd.append("--user=root")  # mariadbd refuses to run as root unless told to
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        if res.returncode != 0:
            raise MariaDBError(f"mariadb-install-db failed ({res.returncode}):\n{res.stdout[-4000:]}")

    def _spawn(self) -> None:
        cmd = [
            MARIADBD,
            "--no-defaults",
            f"--datadir={self.data_dir}",
            f"--socket={self.socket_path}",
            f"--pid-file={self.data_dir / 'mariadbd.pid'}",
            f"--log-error={self.log_path}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--skip-log-bin",
            # RDS MySQL 8 defaults: utf8mb4 everywhere, 64 MiB packets (package chunks are 4 MiB).
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_unicode_ci",
            "--max-allowed-packet=64M",
            "--max-connections=300",
            # Throwaway data: trade durability for speed and a small footprint.
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=32M",
            "--innodb-flush-log-at-trx-commit=2",
            "--innodb-doublewrite=0",
            "--sync-binlog=0",
        ]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        if self.log_path.exists():
            self.log_path.unlink()
        # Own session: Ctrl-C in a terminal reaches us, and we stop the server in order.
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

    def _root_connect(self, **kw):
        import pymysql

        return pymysql.connect(unix_socket=str(self.socket_path), user="root", password="",
                               charset="utf8mb4", autocommit=True, **kw)

    def _wait_ready(self) -> bool:
        """True once root can connect over the socket; False if the server exited first."""
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False
            if self.socket_path.exists():
                try:
                    self._root_connect(connect_timeout=2).close()
                    return True
                except Exception:
                    pass
            time.sleep(0.05)
        raise MariaDBError(f"mariadbd not ready after {self.startup_timeout:.0f}s; log:\n{self.log_tail()}")

    def _create_user_and_database(self) -> None:
        conn = self._root_connect()
        try:
            with conn.cursor() as cur:
                # '%' as well as 127.0.0.1 so the same user works if the server is reached by name.
                for host in ("127.0.0.1", "localhost", "%"):
                    cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (self.user, host, self.password))
                    # A kept data dir (--dir) may hold the user from an earlier run with another password.
                    cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (self.user, host, self.password))
        finally:
            conn.close()
        self.create_database(self.database)

    def create_database(self, name: str) -> str:
        """Create a database the user owns (tests use one per suite to stay independent)."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"bad database name {name!r}")
        conn = self._root_connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
                for host in ("127.0.0.1", "localhost", "%"):
                    cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@%s", (self.user, host))
        finally:
            conn.close()
        return name

    def allow_user_admin(self, database: str) -> None:
        """Let the application user create users and grant what it holds on `database`, as the RDS
        master user can (the worker user's setup, store/grants.py, runs as that user)."""
        if not database.replace("_", "").isalnum():
            raise ValueError(f"bad database name {database!r}")
        conn = self._root_connect()
        try:
            with conn.cursor() as cur:
                for host in ("127.0.0.1", "localhost", "%"):
                    cur.execute("GRANT CREATE USER ON *.* TO %s@%s", (self.user, host))
                    cur.execute(f"GRANT ALL PRIVILEGES ON `{database}`.* TO %s@%s WITH GRANT OPTION", (self.user, host))
        finally:
            conn.close()

    def drop_user(self, name: str, host: str = "%") -> None:
        conn = self._root_connect()
        try:
            with conn.cursor() as cur:
                cur.execute("DROP USER IF EXISTS %s@%s", (name, host))
        finally:
            conn.close()

    def drop_database(self, name: str) -> None:
        conn = self._root_connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()

    def connect(self, database: str | None = None, **kw):
        """A PyMySQL connection as the application user (over TCP, like the real thing)."""
        import pymysql

        return pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               database=database or self.database, charset="utf8mb4", **kw)

    def outage(self, down_s: float) -> None:
        """Stop the server cleanly, keep it down `down_s`, start it again on the same port with the same
        data (the fault tests' database outage)."""
        if self.proc is None:
            raise MariaDBError("not running")
        proc, self.proc = self.proc, None
        proc.terminate()
        proc.wait(20)
        time.sleep(down_s)
        self._spawn()
        if not self._wait_ready():
            raise MariaDBError(f"mariadbd did not come back on port {self.port}; log:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()  # SIGTERM: clean InnoDB shutdown
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._own_dir and self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None

    def __enter__(self) -> MariaDB:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", help="data directory (kept); default: a temporary one, removed on exit")
    ap.add_argument("--port", type=int, help="TCP port (default: a free one)")
    ap.add_argument("--database", default="judge")
    ap.add_argument("--user", default="judge")
    ap.add_argument("--password")
    ap.add_argument("--env-file", help="also write the DB_* lines to this file")
    args = ap.parse_args()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    db = MariaDB(base_dir=args.dir, port=args.port, database=args.database, user=args.user, password=args.password)
    with db:
        lines = "".join(f"{k}={v}\n" for k, v in db.env().items())
        if args.env_file:
            Path(args.env_file).write_text(lines)
        sys.stdout.write(lines)
        sys.stdout.flush()
        try:
            while not stop:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
