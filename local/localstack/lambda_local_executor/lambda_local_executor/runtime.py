"""A Lambda execution environment as two local processes: the init and the function runtime.

This file runs under the *function's* Python (LOCAL_LAMBDA_PYTHON, 3.12), not LocalStack's, so it
uses the standard library only and imports nothing from its own package.

``python runtime.py init`` plays the part of LocalStack's runtime-init binary: it serves
``POST /invoke`` on the listening socket it inherits (fd LOCAL_LAMBDA_LISTEN_FD), and reports to
LocalStack's executor endpoint (LOCALSTACK_RUNTIME_ENDPOINT) exactly as that binary does:
``/status/<runtime id>/ready|error`` once, then per invocation ``/invocations/<id>/logs`` followed by
``/invocations/<id>/response`` or ``/invocations/<id>/error``.

``python runtime.py function`` is the language runtime: it imports the handler once (the init phase)
and then calls it for each invocation the init sends it over a pipe. Keeping it a separate process is
what lets the init enforce the function timeout the way Lambda does: kill the runtime's whole process
group, report "Task timed out", and start a fresh runtime for the next invocation.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback

# Markers written on the runtime's stdout so the init can cut the log stream per invocation.
LOG_END_MARKER = "\x00LOCAL_LAMBDA_END "


def _post(url: str, body: bytes) -> None:
    """POST to LocalStack with plain http.client: no proxies (a developer's HTTP_PROXY must not
    capture it) and no SSL context, whose creation costs urllib ~40 ms per request."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", parts.path, body=body, headers={"Content-Type": "application/json"})
        connection.getresponse().read()
    finally:
        connection.close()


def _watch_parent(on_orphaned) -> None:
    """Leave no orphans: if our parent dies (LocalStack killed hard), stop too."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                on_orphaned()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------------------------------
# init: the part LocalStack talks to
# --------------------------------------------------------------------------------------------------


class FunctionRuntime:
    """One runtime process (``runtime.py function``), restarted after a timeout or a crash."""

    def __init__(self) -> None:
        self.timeout = float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))
        self.proc = None
        self.commands = None  # we write invocations here
        self.results = None  # the runtime writes init status and results here
        self.log_lock = threading.Lock()
        self.log_lines: list[str] = []
        self.log_done = threading.Event()
        self.log_wanted = ""
        self.init_error: bytes | None = None

    def spawn(self) -> bool:
        """Start the runtime and wait for its init phase. False (and init_error set) if it failed."""
        import subprocess

        command_read, command_write = os.pipe()
        result_read, result_write = os.pipe()
        env = dict(os.environ)
        env["LOCAL_LAMBDA_COMMAND_FD"] = str(command_read)
        env["LOCAL_LAMBDA_RESULT_FD"] = str(result_write)
        # Own process group, so a timeout kills the handler and everything it started.
        self.proc = subprocess.Popen(
            [sys.executable, "-u", os.path.abspath(__file__), "function"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(command_read, result_write),
            env=env,
            cwd=os.environ.get("LAMBDA_TASK_ROOT"),
            start_new_session=True,
        )
        os.close(command_read)
        os.close(result_write)
        self.commands = os.fdopen(command_write, "w", encoding="utf-8")
        self.results = os.fdopen(result_read, "r", encoding="utf-8")
        threading.Thread(target=self._pump_logs, args=(self.proc.stdout,), daemon=True).start()
        line = self.results.readline()
        if not line:
            code = self.proc.wait()
            self.init_error = json.dumps(
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"RequestId: init Error: Runtime exited during init: {_exit_text(code)}",
                }
            ).encode()
            return False
        message = json.loads(line)
        if message["type"] == "init_error":
            self.init_error = json.dumps(message["error"]).encode()
            self.proc.wait()
            return False
        self.init_error = None
        return True

    def _pump_logs(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace")
            marker = text.find(LOG_END_MARKER)
            if marker >= 0:
                head, request_id = text[:marker], text[marker + len(LOG_END_MARKER) :].strip()
                self._log(head if not head or head.endswith("\n") else head + "\n")
                if request_id == self.log_wanted:
                    self.log_done.set()
                continue
            self._log(text)
        self.log_done.set()  # the runtime is gone: nothing more will come

    def _log(self, text: str) -> None:
        if not text:
            return
        sys.stderr.write(text)  # the environment's own log file (LocalStack's get_logs)
        with self.log_lock:
            self.log_lines.append(text)

    def take_logs(self) -> str:
        with self.log_lock:
            lines, self.log_lines = self.log_lines, []
        return "".join(lines)

    def invoke(self, request: dict) -> tuple[bool, bytes]:
        """Run one invocation: (is_error, payload). Kills the runtime if it overruns its timeout."""
        request_id = request["invoke-id"]
        self.log_done.clear()
        self.log_wanted = request_id
        timed_out = threading.Event()
        proc = self.proc

        def on_timeout() -> None:
            timed_out.set()
            _kill_group(proc.pid)

        timer = threading.Timer(self.timeout, on_timeout)
        timer.start()
        try:
            self.commands.write(
                json.dumps(
                    {
                        "request_id": request_id,
                        "function_arn": request.get("invoked-function-arn", ""),
                        "payload": request.get("payload", ""),
                        "trace_id": request.get("trace-id", ""),
                        "deadline_ms": int((time.time() + self.timeout) * 1000),
                    }
                )
                + "\n"
            )
            self.commands.flush()
            line = self.results.readline()
        except BrokenPipeError:
            line = ""
        finally:
            timer.cancel()
        if line:
            self.log_done.wait(2)  # the handler's last prints, still in the pipe
            message = json.loads(line)
            return message["type"] == "error", message["body"].encode("utf-8")
        code = proc.wait()
        self.log_done.wait(2)
        if timed_out.is_set():
            # The shape AWS returns for a timed-out invocation.
            return True, json.dumps(
                {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after {self.timeout:.2f} seconds",
                }
            ).encode()
        return True, json.dumps(
            {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {_exit_text(code)}",
            }
        ).encode()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def peak_memory_mb(self) -> int:
        try:
            with open(f"/proc/{self.proc.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) // 1024
        except (OSError, ValueError, AttributeError):
            pass
        return 0

    def kill(self) -> None:
        if self.proc is not None:
            _kill_group(self.proc.pid)


def _exit_text(code: int) -> str:
    return f"signal: {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"


def run_init() -> None:
    """The init process of one environment: serve LocalStack's invoke API, drive the function process.

    Long because its HTTP handler class is defined inside, closing over the init's state (the
    runtime, the busy lock, the endpoint); the issue that makes this environment strict replaces it."""
    import socket
    from http.server import BaseHTTPRequestHandler, HTTPServer

    endpoint = os.environ["LOCALSTACK_RUNTIME_ENDPOINT"]
    runtime_id = os.environ["LOCALSTACK_RUNTIME_ID"]
    version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    memory_size = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    runtime = FunctionRuntime()
    busy = threading.Lock()  # LocalStack sends one invocation at a time per environment

    def shutdown(*_args) -> None:
        runtime.kill()
        os._exit(0)

    signal.signal(signal.SIGTERM, shutdown)
    _watch_parent(shutdown)

    def handle(request: dict) -> None:
        with busy:
            request_id = request["invoke-id"]
            # After a timeout or crash the runtime is gone: a fresh init, as in Lambda.
            if not runtime.alive() and not runtime.spawn():
                _post(
                    f"{endpoint}/invocations/{request_id}/logs",
                    json.dumps({"logs": runtime.take_logs()}).encode(),
                )
                _post(f"{endpoint}/invocations/{request_id}/error", runtime.init_error)
                return
            init_output = runtime.take_logs()  # what the handler module printed at import, as in AWS
            started = time.monotonic()
            is_error, body = runtime.invoke(request)
            duration_ms = (time.monotonic() - started) * 1000
            logs = (
                init_output
                + f"START RequestId: {request_id} Version: {version}\n"
                + runtime.take_logs()
                + f"END RequestId: {request_id}\n"
                f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
                f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {memory_size} MB\t"
                f"Max Memory Used: {runtime.peak_memory_mb()} MB\t\n"
            )
            _post(f"{endpoint}/invocations/{request_id}/logs", json.dumps({"logs": logs}).encode())
            _post(f"{endpoint}/invocations/{request_id}/{'error' if is_error else 'response'}", body)

    def handle_safely(request: dict) -> None:
        try:
            handle(request)
        except Exception:
            traceback.print_exc()
            body = json.dumps(
                {"errorType": "Runtime.LocalInitError", "errorMessage": traceback.format_exc(limit=3)}
            ).encode()
            try:
                _post(f"{endpoint}/invocations/{request['invoke-id']}/error", body)
            except Exception:
                traceback.print_exc()

    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body go out separately: avoid 40 ms ACK stalls

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/invoke":
                self.send_response(404)
                self.end_headers()
                return
            # Acknowledge at once and answer through the executor endpoint, like runtime-init.
            threading.Thread(target=handle_safely, args=(json.loads(body),), daemon=True).start()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *_args) -> None:
            pass

    if not runtime.spawn():
        _post(f"{endpoint}/status/{runtime_id}/error", runtime.init_error)
        runtime.kill()
        return
    # The executor created and bound the socket, so its port is known before we start: no race.
    listener = socket.socket(fileno=int(os.environ["LOCAL_LAMBDA_LISTEN_FD"]))
    server = HTTPServer(listener.getsockname(), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listener
    _post(f"{endpoint}/status/{runtime_id}/ready", b"{}")
    server.serve_forever()


# --------------------------------------------------------------------------------------------------
# function: the language runtime that calls the handler
# --------------------------------------------------------------------------------------------------


class LambdaContext:
    """The context object of the Python runtime (the attributes Powertools and handlers use)."""

    def __init__(self, request_id: str, function_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error_type: str, message: str, stack: list[str] | None = None, request_id: str = "") -> dict:
    error = {"errorMessage": message, "errorType": error_type, "stackTrace": stack or []}
    if request_id:
        error["requestId"] = request_id
    return error


def _exception_error(exc: BaseException, request_id: str = "") -> dict:
    stack = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return _error(type(exc).__name__, str(exc), stack, request_id)


def _hide_editable_installs() -> None:
    """Make the project's editable install invisible, as it is in AWS, where only the zip exists.

    Without this, a function zip that forgot a package would still import it from the developer's
    checkout, and the mistake would only show up in AWS.
    """
    sys.meta_path[:] = [
        f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")
    ]
    sys.path_hooks[:] = [
        h for h in sys.path_hooks if not getattr(h, "__module__", "").startswith("__editable__")
    ]
    sys.path_importer_cache.clear()


def _load_handler(handler: str):
    import importlib

    module_name, _, function_name = handler.rpartition(".")
    if not module_name or not function_name:
        raise _InitError(
            _error("Runtime.MalformedHandlerName", f"Bad handler '{handler}': not enough values to unpack")
        )
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _InitError(
            _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")
        ) from exc
    except SyntaxError as exc:
        raise _InitError(
            _error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}")
        ) from exc
    except Exception as exc:
        raise _InitError(_exception_error(exc)) from exc
    function = getattr(module, function_name, None)
    if function is None:
        raise _InitError(
            _error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
        )
    return function


class _InitError(Exception):
    def __init__(self, error: dict) -> None:
        super().__init__(error["errorMessage"])
        self.error = error


def _lambda_sys_path() -> None:
    """sys.path as in Lambda: the code, then the layers' Python dirs, then the runtime's packages."""
    # (Python put this file's directory first; it is not part of the function.)
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        sys.path.pop(0)
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    layer_root = os.environ.get("JUDGE_LAYER_ROOT", "")
    front = [task_root]
    if layer_root:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        front += [
            os.path.join(layer_root, "python", "lib", version, "site-packages"),
            os.path.join(layer_root, "python"),
        ]
    sys.path[:0] = front


def _invoke(handler, raw: str, context, request_id: str) -> dict:
    """One invocation: the handler's result or error, as the message the init forwards."""
    message: dict
    try:
        event = json.loads(raw) if raw.strip() else {}
        result = handler(event, context)
        try:
            message = {"type": "response", "body": json.dumps(result)}
        except (TypeError, ValueError) as exc:
            message = {
                "type": "error",
                "body": json.dumps(
                    _error(
                        "Runtime.MarshalError",
                        f"Unable to marshal response: {exc}",
                        request_id=request_id,
                    )
                ),
            }
    except Exception as exc:
        error = _exception_error(exc, request_id)
        print(
            f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
            + "".join(traceback.format_exception(exc)),
            end="",
        )
        message = {"type": "error", "body": json.dumps(error)}
    return message


def run_function() -> None:
    import logging

    commands = os.fdopen(int(os.environ.pop("LOCAL_LAMBDA_COMMAND_FD")), "r", encoding="utf-8")
    results = os.fdopen(int(os.environ.pop("LOCAL_LAMBDA_RESULT_FD")), "w", encoding="utf-8")
    _watch_parent(lambda: os.killpg(0, signal.SIGKILL))

    _lambda_sys_path()
    if os.environ.get("LOCAL_LAMBDA_HIDE_EDITABLE", "1") != "0":
        _hide_editable_installs()

    # The Python runtime logs records with the request id; handlers that configure logging keep theirs.
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="[%(levelname)s]\t%(asctime)s\t%(message)s"
    )

    def send(message: dict) -> None:
        results.write(json.dumps(message) + "\n")
        results.flush()

    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except _InitError as exc:
        print(f"[ERROR] {exc.error['errorType']}: {exc.error['errorMessage']}", flush=True)
        send({"type": "init_error", "error": exc.error})
        return
    send({"type": "ready"})

    for line in commands:
        request = json.loads(line)
        request_id = request["request_id"]
        os.environ["_X_AMZN_TRACE_ID"] = request["trace_id"]
        context = LambdaContext(request_id, request["function_arn"], request["deadline_ms"])
        message = _invoke(handler, request["payload"], context, request_id)
        sys.stdout.flush()
        sys.stderr.flush()
        os.write(1, f"{LOG_END_MARKER}{request_id}\n".encode())
        send(message)


if __name__ == "__main__":
    {"init": run_init, "function": run_function}[sys.argv[1]]()
