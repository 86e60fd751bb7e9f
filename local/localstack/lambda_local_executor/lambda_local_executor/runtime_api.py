"""The Lambda Runtime API (2018-06-01) as the init serves it inside an execution environment.

Standard library only: this file runs under the function's Python inside the container. It follows
AWS's documented API and, where the documentation is silent, what AWS's runtime interface emulator
does: a `GET /runtime/invocation/next` while an invocation is running returns that invocation again
(request id, deadline and payload), and the first response or error posted for it is the one that
counts. A submission in the sandbox function can do exactly this in Lambda, so it can here too.
"""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
MAX_RESPONSE_BYTES = 6 * 1024 * 1024  # synchronous response payload limit (6 MB)
_INVOCATION_PATH = re.compile(rf"^{PREFIX}/invocation/([^/]+)/(response|error)$")


class Invocation:
    """One invocation as the runtime sees it, and what it answered."""

    def __init__(self, request_id: str, payload: bytes, function_arn: str, trace_id: str,
                 deadline_ms: int, client_context: str | None = None) -> None:
        self.request_id = request_id
        self.payload = payload
        self.function_arn = function_arn
        self.trace_id = trace_id
        self.deadline_ms = deadline_ms
        self.client_context = client_context
        self.done = threading.Event()
        self.is_error = False
        self.body = b""

    def headers(self) -> dict[str, str]:
        headers = {
            "Lambda-Runtime-Aws-Request-Id": self.request_id,
            "Lambda-Runtime-Deadline-Ms": str(self.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
            "Lambda-Runtime-Trace-Id": self.trace_id,
        }
        if self.client_context:
            headers["Lambda-Runtime-Client-Context"] = self.client_context
        return headers

    def finish(self, is_error: bool, body: bytes) -> bool:
        """Record the answer; False if one was already recorded (the first one wins)."""
        if self.done.is_set():
            return False
        self.is_error, self.body = is_error, body
        self.done.set()
        return True


class RuntimeAPI:
    """State shared by the HTTP handler and the init: the invocation queue and the init outcome."""

    def __init__(self) -> None:
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.current: Invocation | None = None
        self.runtime_ready = threading.Event()  # the runtime asked for its first invocation
        self.waiting = threading.Event()  # someone is blocked in /next: the runtime is between invocations
        self.init_error: bytes | None = None
        self.lock = threading.Lock()

    def reset(self) -> None:
        """A fresh runtime is starting (after a timeout, a crash or an out-of-memory kill)."""
        with self.lock:
            self.pending = queue.Queue()
            self.current = None
            self.runtime_ready = threading.Event()
            self.waiting = threading.Event()
            self.init_error = None

    def submit(self, invocation: Invocation) -> None:
        with self.lock:
            self.current = invocation
            self.pending.put(invocation)

    def next_invocation(self) -> Invocation:
        self.runtime_ready.set()
        with self.lock:
            running = self.current
            pending = self.pending
        if running is not None and not running.done.is_set() and pending.empty():
            return running  # the emulator's answer to a second /next during an invocation
        self.waiting.set()
        try:
            return pending.get()
        finally:
            self.waiting.clear()

    def find(self, request_id: str) -> Invocation | None:
        with self.lock:
            current = self.current
        return current if current is not None and current.request_id == request_id else None


def serve(api: RuntimeAPI, host: str, port: int) -> ThreadingHTTPServer:
    """Start the Runtime API on host:port in a daemon thread.

    Long because the request handler class is defined inside, closing over the shared state, and
    each of the API's four routes is a few lines of its own."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                return self._reply(404, {"errorType": "NotFound", "errorMessage": "Not found"})
            invocation = api.next_invocation()
            self.send_response(200)
            for key, value in invocation.headers().items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(invocation.payload)))
            self.end_headers()
            self.wfile.write(invocation.payload)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_RESPONSE_BYTES:
                self._drain(length)
                match = _INVOCATION_PATH.match(self.path)
                invocation = api.find(match.group(1)) if match else None
                if invocation is not None:
                    invocation.finish(True, json.dumps({
                        "errorType": "Function.ResponseSizeTooLarge",
                        "errorMessage": f"Response payload size ({length} bytes) exceeded maximum "
                                        f"allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
                    }).encode())
                return self._reply(413, {"errorType": "RequestEntityTooLarge",
                                         "errorMessage": f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."})
            body = self.rfile.read(length)
            if self.path == f"{PREFIX}/init/error":
                api.init_error = body or b'{"errorType": "Runtime.Unknown", "errorMessage": ""}'
                return self._reply(202, {"status": "OK"})
            match = _INVOCATION_PATH.match(self.path)
            if not match:
                return self._reply(404, {"errorType": "NotFound", "errorMessage": "Not found"})
            invocation = api.find(match.group(1))
            if invocation is None:
                return self._reply(400, {"errorType": "InvalidRequestID", "errorMessage": "Invalid request ID"})
            if not invocation.finish(match.group(2) == "error", body):
                return self._reply(400, {"errorType": "InvalidStateTransition",
                                         "errorMessage": "The invocation already has a response"})
            return self._reply(202, {"status": "OK"})

        def _drain(self, length: int) -> None:
            while length > 0:
                chunk = self.rfile.read(min(length, 1 << 20))
                if not chunk:
                    return
                length -= len(chunk)

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="runtime-api", daemon=True).start()
    return server


def deadline_ms(timeout_s: float) -> int:
    return int((time.time() + timeout_s) * 1000)
