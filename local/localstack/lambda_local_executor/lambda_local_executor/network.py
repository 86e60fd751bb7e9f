"""Network per function, as its security groups grant it.

A function outside a VPC, or in one whose security groups let it out to addresses, shares the
host's network (LocalStack, MariaDB). A function whose security groups allow egress only to prefix
lists (the sandboxes: HTTPS to their own S3 gateway endpoint, nothing else) gets a network
namespace of its own with loopback only, and reaches the outside through two relays that the
executor serves on Unix sockets only the init (root) can open:
- `endpoint.sock`: the init's reports to LocalStack's executor endpoint;
- `s3.sock`: what the function's loopback `127.0.0.1:<gateway port>` leads to. Each connection
  carries one request, and only a presigned S3 object request (GET, HEAD or PUT of `/<bucket>/<key>`
  with a SigV4 query signature and no Authorization header) is passed on; LocalStack checks the
  signature. Everything else (SQS, Lambda, Secrets Manager, a header-signed S3 call, MariaDB, the
  API) gets a 403 here or no route at all.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

LOG = logging.getLogger(__name__)

SHARED, S3_ONLY = "shared", "s3-only"
MAX_HEAD_BYTES = 64 * 1024
PRESIGNED_METHODS = {"GET", "HEAD", "PUT"}


def mode_for(security_groups: list[dict]) -> str:
    """S3_ONLY when every egress rule of every group targets prefix lists only (or there are none)."""
    if not security_groups:
        return SHARED
    for group in security_groups:
        for rule in group.get("IpPermissionsEgress", []):
            if rule.get("IpRanges") or rule.get("Ipv6Ranges") or rule.get("UserIdGroupPairs"):
                return SHARED
    return S3_ONLY


def refusal(head: bytes) -> str | None:
    """Why a request may not pass the S3 relay, or None if it is a presigned S3 object request."""
    try:
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ", 2)
    except ValueError:
        return "malformed request"
    if method not in PRESIGNED_METHODS:
        return f"method {method} is not a presigned object request"
    headers = _headers(header_lines)
    if "authorization" in headers:
        return "only presigned URLs reach S3 from here"
    if not headers.get("content-length", "0").isdigit():
        return "bad Content-Length"
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return "chunked uploads are not relayed"
    url = urlsplit(target)
    query = parse_qs(url.query)
    credential = (query.get("X-Amz-Credential") or [""])[0]
    if query.get("X-Amz-Algorithm") != ["AWS4-HMAC-SHA256"] or not query.get("X-Amz-Signature"):
        return "not a presigned URL"
    if not credential.endswith("/s3/aws4_request"):
        return "presigned for another service than S3"
    bucket, _, key = url.path.lstrip("/").partition("/")
    if not bucket or not key:
        return "not an object URL"
    return None


def _headers(lines: list[str]) -> dict[str, str]:
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def content_length(head: bytes) -> int:
    """The body length `refusal` checked: read by the same parser, so the two never disagree."""
    return int(_headers(head.decode("latin-1").split("\r\n")[1:]).get("content-length") or 0)


class UnixRelay:
    """A Unix socket server; each connection is handed to `serve(conn)` on its own thread."""

    def __init__(self, path: Path, serve) -> None:
        path.unlink(missing_ok=True)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        os.chmod(path, 0o600)
        self.server.listen(64)
        self.serve = serve
        self.closed = False
        threading.Thread(target=self._accept, name=f"relay-{path.name}", daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.serve(conn)
        except OSError as e:
            LOG.debug("relay connection failed: %s", e)
        finally:
            conn.close()

    def close(self) -> None:
        self.closed = True
        self.server.close()


def pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until either side closes."""

    def copy(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(1 << 16):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    other = threading.Thread(target=copy, args=(b, a), daemon=True)
    other.start()
    copy(a, b)
    other.join()


def to_tcp(host: str, port: int):
    def serve(conn: socket.socket) -> None:
        with socket.create_connection((host, port)) as upstream:
            pipe(conn, upstream)

    return serve


def presigned_s3_only(host: str, port: int):
    def serve(conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk or len(head) > MAX_HEAD_BYTES:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        reason = refusal(head)
        if reason is not None:
            body = f"refused by the sandbox network: {reason}\n".encode()
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            return
        # One request per connection, its body exactly Content-Length bytes: nothing unchecked follows.
        lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        length = content_length(head)
        with socket.create_connection((host, port)) as upstream:
            upstream.sendall(b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + rest[:length])
            remaining = length - min(length, len(rest))
            while remaining > 0 and (chunk := conn.recv(min(remaining, 1 << 16))):
                upstream.sendall(chunk)
                remaining -= len(chunk)
            while data := upstream.recv(1 << 16):
                conn.sendall(data)

    return serve
