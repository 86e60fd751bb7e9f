"""Start and stop LocalStack on this machine, with Lambda functions run as local processes.

Used by the pytest fixture (tests/fixtures/localstack.py) and by `make run`. Standard library only
(boto3 only for the `client()` convenience), importable from the project's Python 3.12 virtualenv;
LocalStack itself runs from its own 3.13 virtualenv (.localstack/venv, `make localstack-install`).

    with LocalStack(state_dir=".state/localstack") as stack:
        sqs = stack.client("sqs")
        ...

Command line (for make): python local/stack.py run|start|stop --state-dir DIR [--port N]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VENV = REPO_ROOT / ".localstack" / "venv"
REGION = "us-east-1"
# LocalStack accepts any key pair; "test" maps to its default account 000000000000.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
# The longest a message waits in an SQS queue before its event source mapping polls it (see _environment).
ESM_POLL_INTERVAL_S = 0.1


class LocalStackError(RuntimeError):
    """LocalStack did not start (the message carries the tail of its log)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def default_function_python() -> str:
    """The Python that runs Lambda handlers: the project's .venv (3.12, with boto3) if present."""
    venv_python = REPO_ROOT / ".venv" / "bin" / "python"
    if venv_python.exists():
        return str(venv_python)
    for candidate in sorted(
        Path(os.popen("pyenv root 2>/dev/null").read().strip() or "/nonexistent").glob(
            "versions/3.12*/bin/python3.12"
        )
    ):
        return str(candidate)
    return "python3.12"


class LocalStack:
    """One LocalStack process (and its Lambda environments) bound to 127.0.0.1:port.

    state_dir holds LocalStack's FILESYSTEM_ROOT, the extracted function code and layers, and
    `localstack.log`. Stopping sends SIGTERM to the whole process group, then SIGKILL.
    """

    def __init__(
        self,
        state_dir: str | os.PathLike,
        port: int | None = None,
        *,
        venv: str | os.PathLike | None = None,
        function_python: str | None = None,
        extra_env: dict[str, str] | None = None,
        startup_timeout: float = 60.0,
        stop_timeout: float = 15.0,
    ) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.port = port or free_port()
        self.venv = Path(venv or os.environ.get("LOCALSTACK_VENV") or DEFAULT_VENV)
        self.function_python = (
            function_python or os.environ.get("LOCAL_LAMBDA_PYTHON") or default_function_python()
        )
        # awslambdaric and boto3, /var/runtime in every execution environment (mk/localstack.mk).
        self.runtime_dir = Path(os.environ.get("LOCAL_LAMBDA_RUNTIME_DIR") or self.venv.parent / "lambda-runtime")
        self.extra_env = dict(extra_env or {})
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.log_path = self.state_dir / "localstack.log"
        self.process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client_env(self) -> dict[str, str]:
        """Environment for a process that should talk to this LocalStack with boto3 or terraform."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            **CREDENTIALS,
        }

    def client(self, service: str, **kwargs):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            **kwargs,
        )

    def _environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("AWS_")
        }
        env.update(
            {
                "GATEWAY_LISTEN": f"127.0.0.1:{self.port}",
                "LOCALSTACK_HOST": f"127.0.0.1:{self.port}",
                # Each of these fixes a failure seen on this machine: it looks like a container to
                # LocalStack, shutdown hangs on analytics, queue URLs that do not resolve offline, ...
                "OVERRIDE_IN_DOCKER": "0",
                "FILESYSTEM_ROOT": str(self.state_dir / "filesystem"),
                "DISABLE_EVENTS": "1",
                "SKIP_SSL_CERT_DOWNLOAD": "1",
                "DNS_ADDRESS": "0",
                # "off": queue URLs are http://<LOCALSTACK_HOST>/<account>/<name>, which resolve offline
                # and which the Terraform provider can parse ("path" URLs it refuses).
                "SQS_ENDPOINT_STRATEGY": "off",
                # Lambda: our executor plugin, the project's Python, code/layers under the state dir.
                "LAMBDA_RUNTIME_EXECUTOR": "local",
                "LOCAL_LAMBDA_PYTHON": self.function_python,
                "LOCAL_LAMBDA_RUNTIME_DIR": str(self.runtime_dir),
                "LOCAL_LAMBDA_ROOT": str(self.state_dir / "lambda"),
                # Async retries 1 s, 2 s apart instead of 60 s, 120 s (AWS: about 1 and 2 minutes): retry paths stay testable.
                "LAMBDA_RETRY_BASE_DELAY": "1",  # config name LAMBDA_RETRY_BASE_DELAY_SECONDS, env name without it
                # SQS event source mappings poll at most 0.1 s apart, busy or idle, as Lambda's long-polling
                # pollers pick a message up as it arrives (LocalStack: 1 s after a batch, up to 10 s when
                # idle). The executor plugin also caps the first idle backoff (esm_polling.py).
                "LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC": str(ESM_POLL_INTERVAL_S),
                "LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC": str(ESM_POLL_INTERVAL_S),
                # S3 checks presigned URLs as AWS does (LocalStack's default, 1, only logs a bad
                # signature or an expired URL and serves it): a URL our code signs wrongly fails here too.
                "S3_SKIP_SIGNATURE_VALIDATION": "0",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self) -> Self:
        python = self.venv / "bin" / "python"
        if not python.exists():
            raise LocalStackError(
                f"LocalStack is not installed at {self.venv}: run `make localstack-install`"
            )
        (self.state_dir / "tmp").mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(python), "-m", "localstack.runtime.main"],
                env=self._environment(),
                cwd=self.state_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stop() reaches every child
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalStackError(
                    f"LocalStack exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            if self.healthy():
                return
            time.sleep(0.2)
        raise LocalStackError(f"LocalStack not ready after {self.startup_timeout:.0f} s:\n{self.log_tail()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/_localstack/health", timeout=2) as resp:
                return resp.status == 200 and "services" in json.load(resp)
        except (OSError, ValueError):
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                pass
        # SIGKILL the group even after a clean exit: nothing LocalStack started may outlive it.
        _signal_group(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# ------------------------------------------------------------------------------------------------
# command line: `run` in the foreground (Ctrl-C stops), or `start`/`stop` with a pid file
# ------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["run", "start", "stop"])
    parser.add_argument("--state-dir", default=".state/localstack")
    parser.add_argument("--port", type=int, default=int(os.environ.get("LOCALSTACK_PORT", "4566")))
    args = parser.parse_args(argv)
    state_dir = Path(args.state_dir).resolve()
    pid_file = state_dir / "localstack.pid"

    if args.command == "stop":
        if not pid_file.exists():
            print("LocalStack is not running (no pid file)")
            return 0
        pid = int(pid_file.read_text().split()[0])
        _signal_group(pid, signal.SIGTERM)
        for _ in range(150):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        _signal_group(pid, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)
        print("LocalStack stopped")
        return 0

    stack = LocalStack(state_dir, args.port)
    started = time.monotonic()
    try:
        stack.start()
    except LocalStackError as e:
        print(e, file=sys.stderr)
        return 1
    print(
        f"LocalStack ready at {stack.endpoint_url} in {time.monotonic() - started:.1f} s "
        f"(log: {stack.log_path})",
        flush=True,
    )
    if args.command == "start":
        pid_file.write_text(f"{stack.process.pid} {stack.port}\n")
        stack.process = None  # keep it running after we exit; `stop` finds it by the pid file
        return 0
    try:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        stack.process.wait()
        print(f"LocalStack exited:\n{stack.log_tail()}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
