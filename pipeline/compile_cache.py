"""Compiled programs on the worker, by what determines them: a source compiled once per environment.

A rejudge, a resubmission and the same solution sent by a team's members compile to the same
program: the sandbox function's compile reply for it is kept in the worker's /tmp, under the
sha256 of the sandbox build (`SANDBOX_BUILD`: its code and layers, so a new compiler is a new key),
the language's compile command and the source bytes, and the next submission of the same source
skips the compile call (for C++ about 0.8 GB-s of sandbox time and the worker's wait for it).

Why here and not in the sandbox function: submitted code runs there with the handler's uid and can
write whatever the handler can, so a cache there could be poisoned for the next submission. The
worker never runs submitted code; what it keeps is exactly what a sealed compile reply said, and it
is read back through the same bounded parser (`CompileReply.from_wire`). Only successful compiles
are kept (a compile error may be a compile limit, which another try might not hit). A program whose
build depends on when it was built (`__TIME__`) keeps its first build: as a resubmission of it would.

Bounded LRU (`max_bytes`); writes are atomic (temporary file renamed into place).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

from contracts.errors import SandboxProtocolError
from contracts.sandbox_protocol import CompileReply
from judge.languages import Language

log = logging.getLogger(__name__)
DEFAULT_MAX_BYTES = 256 << 20


class CompileCache:
    def __init__(self, directory: Path, sandbox_build: str, max_bytes: int = DEFAULT_MAX_BYTES):
        self.directory = Path(directory)
        self.sandbox_build = sandbox_build
        self.max_bytes = max_bytes
        self.hits = 0  # since the worker last reset it (per submission)

    @classmethod
    def from_environment(cls, env=os.environ) -> CompileCache | None:
        """The cache Terraform configures, or None: without SANDBOX_BUILD nothing says when a cached
        program stops being what the sandbox would build, so nothing is cached."""
        build = env.get("SANDBOX_BUILD", "").strip()
        max_mb = int(env.get("COMPILE_CACHE_MAX_MB", "256") or 0)
        if not build or max_mb <= 0:
            return None
        return cls(Path(env.get("COMPILE_CACHE_DIR", "/tmp/compiled")), build, max_mb << 20)

    def key(self, language: Language, source: bytes) -> str:
        what = json.dumps([self.sandbox_build, language.name, language.compile, sorted(language.compile_env.items())])
        return hashlib.sha256(what.encode() + b"\0" + hashlib.sha256(source).digest()).hexdigest()

    def get(self, language: Language, source: bytes) -> CompileReply | None:
        path = self.directory / self.key(language, source)
        try:
            reply = CompileReply.from_wire(json.loads(path.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, SandboxProtocolError) as error:
            log.warning("dropping unreadable compile cache entry %s: %s", path.name, error)
            path.unlink(missing_ok=True)
            return None
        os.utime(path)  # recently used
        self.hits += 1
        return reply

    def put(self, language: Language, source: bytes, reply_wire: dict) -> None:
        """Keep a successful compile's reply (as the handler sealed it, opened)."""
        if not reply_wire.get("ok") or not reply_wire.get("artifact_b64"):
            return
        data = json.dumps(reply_wire).encode()
        if len(data) > self.max_bytes // 4:
            return  # one program may not push out everything else
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._make_room(len(data))
        fd, staging = tempfile.mkstemp(dir=self.directory, prefix=".staging-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(staging, self.directory / self.key(language, source))

    def _make_room(self, incoming: int) -> None:
        entries = []
        for path in self.directory.iterdir():
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            entries.append((info.st_mtime, info.st_size, path))
        used = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if used + incoming <= self.max_bytes:
                break
            path.unlink(missing_ok=True)
            used -= size
