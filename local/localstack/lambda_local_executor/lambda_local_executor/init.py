"""The init of one local execution environment: what /var/rapid/init is in AWS Lambda.

It runs inside the environment's container (container.py) as root, standard library only, started
as ``python /var/rapid/init.py``. It plays two parts:
- towards LocalStack, the runtime-init protocol: ``POST /invoke`` on the listening socket it
  inherits (fd LOCAL_LAMBDA_LISTEN_FD, created outside), answered on LocalStack's executor endpoint
  with ``/status/<id>/ready|error`` once, then ``/invocations/<id>/logs`` and ``.../response|error``;
- towards the function, the Lambda Runtime API (runtime_api.py) on loopback, driven by AWS's own
  runtime interface client (``awslambdaric``) running as the unprivileged function uid.
The init enforces what Lambda enforces: the timeout (every function process is killed and the next
invocation starts a fresh runtime), the environment's memory (an out-of-memory kill in its cgroup
ends the environment: Runtime.ExitError, signal: killed) and the payload sizes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import network  # the relay rules and the byte pipe, shared with the executor (same directory)
import runtime_api

PYTHON = "/var/lang/bin/python3.12"
BOOTSTRAP = "/var/rapid/bootstrap.py"
TASK_ROOT = "/var/task"
CGROUP = Path("/run/lambda-local/cgroup")  # the environment's memory cgroup, read-only
POLL_S = 0.02


def _post(path: str, body: bytes) -> None:
    """POST to LocalStack's executor endpoint: plain http.client, no proxies, one connection each."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(os.environ["LOCAL_LAMBDA_ENDPOINT"])
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    relay = os.environ.get("LOCAL_LAMBDA_ENDPOINT_SOCKET")
    if relay:  # an isolated network: LocalStack only through the executor's relay
        connection.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.sock.settimeout(30)
        connection.sock.connect(relay)
    try:
        connection.request("POST", parts.path + path, body=body, headers={"Content-Type": "application/json"})
        connection.getresponse().read()
    finally:
        connection.close()


def forward_loopback(spec: str) -> None:
    """`host:port=/unix/socket,...`: listen on each loopback address and pipe every connection to
    its Unix socket (the executor's relay outside this network namespace)."""
    for entry in filter(None, spec.split(",")):
        address, _, path = entry.partition("=")
        host, _, port = address.rpartition(":")
        listener = socket.create_server((host, int(port)))
        threading.Thread(target=_accept_forever, args=(listener, path), daemon=True).start()


def _accept_forever(listener: socket.socket, path: str) -> None:
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_pipe_to_unix, args=(conn, path), daemon=True).start()


def _pipe_to_unix(conn: socket.socket, path: str) -> None:
    upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        upstream.connect(path)
        network.pipe(conn, upstream)
    except OSError:
        pass
    finally:
        upstream.close()
        conn.close()


def _cgroup_value(name: str, key: str | None = None) -> int:
    try:
        text = (CGROUP / name).read_text()
    except OSError:
        return 0
    if key is None:
        return int(text.split()[0])
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return int(parts[1])
    return 0


def oom_kills() -> int:
    return _cgroup_value("memory.oom_control", "oom_kill")


def peak_memory_mb() -> int:
    return _cgroup_value("memory.max_usage_in_bytes") // (1024 * 1024)


def kill_all_function_processes() -> None:
    """Everything in the environment but the init (and bwrap's pid 1): the runtime, the handler's
    children, whatever they left behind."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass


def empty_tmp() -> None:
    for entry in Path("/tmp").iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


class Environment:
    """The runtime process and the invocations it serves."""

    def __init__(self) -> None:
        self.function_env = json.loads(os.environ.pop("LOCAL_LAMBDA_FUNCTION_ENV"))
        self.timeout = float(os.environ.get("LOCAL_LAMBDA_TIMEOUT", "3"))
        self.uid = int(os.environ.get("LOCAL_LAMBDA_UID", "993"))
        self.gid = int(os.environ.get("LOCAL_LAMBDA_GID", "990"))
        self.memory_size = self.function_env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.version = self.function_env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.api = runtime_api.RuntimeAPI()
        host, _, port = self.function_env["AWS_LAMBDA_RUNTIME_API"].partition(":")
        runtime_api.serve(self.api, host, int(port))
        self.proc: subprocess.Popen | None = None
        self.log_lock = threading.Lock()
        self.log_chunks: list[str] = []
        self.busy = threading.Lock()  # LocalStack sends one invocation at a time per environment
        self.init_ms: float | None = None  # the last init phase, reported with the invocation after it

    # -- the runtime process ----------------------------------------------------------------------

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> bytes | None:
        """Start the runtime and run its init phase; the error payload if it failed, else None."""
        self.api.reset()
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [PYTHON, BOOTSTRAP],
            cwd=TASK_ROOT,
            env=self.function_env,
            user=self.uid,
            group=self.gid,
            extra_groups=[],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self._pump_logs, args=(self.proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + max(self.timeout, 10.0)
        while not self.api.runtime_ready.is_set():
            if self.api.init_error is not None or self.proc.poll() is not None or time.monotonic() > deadline:
                return self._init_failure()
            self.api.runtime_ready.wait(POLL_S)
        self.init_ms = (time.monotonic() - started) * 1000
        return None

    def _init_failure(self) -> bytes:
        error = self.api.init_error
        code = self.proc.poll()
        kill_all_function_processes()
        self.proc.wait()
        if error:
            return error
        reason = f"Runtime exited during init: {_exit_text(code)}" if code is not None else "Init timed out"
        return json.dumps({"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: init Error: {reason}"}).encode()

    def _pump_logs(self, stream) -> None:
        for raw in iter(lambda: stream.read1(65536), b""):
            text = raw.decode("utf-8", "replace")
            sys.stderr.write(text)  # the environment's own log file (LocalStack's get_logs)
            with self.log_lock:
                self.log_chunks.append(text)

    def take_logs(self) -> str:
        time.sleep(0.01)  # the last lines the handler printed, still in the pipe
        with self.log_lock:
            chunks, self.log_chunks = self.log_chunks, []
        return "".join(chunks)

    # -- one invocation ---------------------------------------------------------------------------

    def invoke(self, request: dict) -> tuple[bool, bytes]:
        """(is_error, payload) of one invocation, enforcing the timeout and the memory size."""
        request_id = request["invoke-id"]
        payload = request.get("payload", "").encode("utf-8")
        invocation = runtime_api.Invocation(
            request_id, payload, request.get("invoked-function-arn", ""),
            request.get("trace-id", ""), runtime_api.deadline_ms(self.timeout),
            request.get("client-context"),
        )
        ooms_before = oom_kills()
        deadline = time.monotonic() + self.timeout
        self.api.submit(invocation)
        while not invocation.done.wait(POLL_S):
            if oom_kills() > ooms_before:
                return self._environment_ended(request_id, "signal: killed")
            if not self.alive():
                return self._environment_ended(request_id, _exit_text(self.proc.returncode))
            if time.monotonic() > deadline:
                kill_all_function_processes()
                self.proc.wait()
                self.proc = None  # a fresh runtime next, in the same environment (/tmp kept)
                return True, json.dumps({
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after {self.timeout:.2f} seconds",
                }).encode()
        if oom_kills() > ooms_before:  # a child was killed but the handler still answered
            return self._environment_ended(request_id, "signal: killed")
        return invocation.is_error, invocation.body

    def _wait_until_idle(self, limit_s: float = 5.0) -> None:
        """Let the runtime finish its last invocation: either it asks for the next one or it exits
        (awslambdaric exits when its response is refused); an exited runtime means a cold start
        for this invocation, as in Lambda, not an error."""
        deadline = time.monotonic() + limit_s
        while self.alive() and not self.api.waiting.is_set() and time.monotonic() < deadline:
            time.sleep(POLL_S / 4)
        if self.proc is not None and not self.alive():
            # The runtime exited between invocations: in Lambda that environment is gone.
            kill_all_function_processes()
            empty_tmp()

    def _environment_ended(self, request_id: str, how: str) -> tuple[bool, bytes]:
        """The runtime died (or the environment ran out of memory): in Lambda the environment is
        gone, so every process and /tmp go too and the next invocation starts from a cold init."""
        kill_all_function_processes()
        if self.proc is not None:
            self.proc.wait()
        empty_tmp()
        return True, json.dumps({
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {how}",
        }).encode()

    def handle(self, request: dict) -> None:
        with self.busy:
            request_id = request["invoke-id"]
            self._wait_until_idle()
            if not self.alive():
                error = self.spawn()
                if error is not None:
                    _post(f"/invocations/{request_id}/logs", json.dumps({"logs": self.take_logs()}).encode())
                    _post(f"/invocations/{request_id}/error", error)
                    return
            init_output = self.take_logs()
            init_ms, self.init_ms = self.init_ms, None
            if init_ms is not None:  # Lambda's line for a cold start
                init_output = f"INIT_START Runtime Version: python:3.12 (local)\n{init_output}"
            started = time.monotonic()
            is_error, body = self.invoke(request)
            duration_ms = (time.monotonic() - started) * 1000
            # Since August 2025 Lambda bills the INIT phase of on-demand functions as it bills the
            # invocation (AWS Compute Blog, "AWS Lambda standardizes billing for INIT Phase").
            billed_ms = int(duration_ms + (init_ms or 0)) + 1
            logs = (
                init_output
                + f"START RequestId: {request_id} Version: {self.version}\n"
                + self.take_logs()
                + f"END RequestId: {request_id}\n"
                f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
                f"Billed Duration: {billed_ms} ms\tMemory Size: {self.memory_size} MB\t"
                f"Max Memory Used: {peak_memory_mb()} MB\t"
                + (f"Init Duration: {init_ms:.2f} ms\t" if init_ms is not None else "")
                + "\n"
            )
            _post(f"/invocations/{request_id}/logs", json.dumps({"logs": logs}).encode())
            _post(f"/invocations/{request_id}/{'error' if is_error else 'response'}", body)

    def handle_safely(self, request: dict) -> None:
        try:
            self.handle(request)
        except Exception:
            traceback.print_exc()
            body = json.dumps({"errorType": "Runtime.LocalInitError", "errorMessage": traceback.format_exc(limit=3)})
            try:
                _post(f"/invocations/{request['invoke-id']}/error", body.encode())
            except Exception:
                traceback.print_exc()


def _exit_text(code: int | None) -> str:
    if code is None:
        return "unknown"
    return f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}" if code < 0 else f"exit status {code}"


def main() -> None:
    runtime_id = os.environ["LOCALSTACK_RUNTIME_ID"]
    forward_loopback(os.environ.get("LOCAL_LAMBDA_FORWARD", ""))
    environment = Environment()

    def shutdown(*_args) -> None:
        kill_all_function_processes()
        os._exit(0)

    signal.signal(signal.SIGTERM, shutdown)

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/invoke":
                self.send_response(404)
                self.end_headers()
                return
            # Acknowledge at once and answer through the executor endpoint, like runtime-init.
            threading.Thread(target=environment.handle_safely, args=(json.loads(body),), daemon=True).start()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *_args) -> None:
            pass

    error = environment.spawn()
    if error is not None:
        _post(f"/status/{runtime_id}/error", error)
        return
    # The executor created and bound the socket outside, so its port was known before we started.
    listener = socket.socket(fileno=int(os.environ["LOCAL_LAMBDA_LISTEN_FD"]))
    server = HTTPServer(listener.getsockname(), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    _post(f"/status/{runtime_id}/ready", b"{}")
    server.serve_forever()


if __name__ == "__main__":
    main()
