"""Find or build the C launcher (launcher.c), cached by the hash of its source.

Lookup order: $JUDGE_LAUNCHER (a prebuilt binary; "python" forces the fallback), then
`launcher-<hash>` next to this file (prebuilt into the sandbox function's zip), then
`<cache>/launcher-<hash>` where cache is $JUDGE_CACHE_DIR (default ~/.cache/judge) or
/tmp/judge-cache-<uid> (the first writable one), building it there on first use with the gcc that
`judge.toolchain` finds (a layer's first). Without gcc the sandbox falls
back to `pylauncher.py` (same protocol, less accurate memory: see there).

`python -m judge.sandbox.launcher_build DEST_DIR` prebuilds it (for packaging).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import threading
from functools import cache
from pathlib import Path

from judge import settings, toolchain

SOURCE = Path(__file__).with_name("launcher.c")
_lock = threading.Lock()
SEALED_FD_FLOOR = 100


def source_hash() -> str:
    return hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]


def _cache_dirs() -> list[Path]:
    # The configured cache, then one under /tmp: in Lambda HOME is read-only and only /tmp is not.
    return [settings.current().cache_dir, Path(tempfile.gettempdir()) / f"judge-cache-{os.getuid()}"]


def _compiler() -> str | None:
    for name in ("gcc", "cc"):
        found = toolchain.find_tool(name)
        if found:
            return str(found)
    return None


def build(dest_dir: Path) -> Path:
    """Compile into dest_dir/launcher-<hash> (atomically); static when libc.a is there."""
    cc = _compiler()
    if cc is None:
        raise FileNotFoundError("no C compiler to build the sandbox launcher")
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"launcher-{source_hash()}"
    fd, tmp = tempfile.mkstemp(dir=dest_dir, prefix=".launcher-")
    os.close(fd)
    try:
        base = [cc, "-O2", "-o", tmp, str(SOURCE)]
        # static: no dynamic loader at start-up (faster) and it runs in any mount namespace
        done = subprocess.run([*base[:1], "-static", *base[1:]], check=False, capture_output=True)
        if done.returncode != 0:
            done = subprocess.run(base, check=False, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"building the launcher failed: {done.stderr.decode(errors='replace')}")
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


@cache
def launcher_command() -> tuple[str, ...]:
    """The argv prefix that runs the launcher: the C binary, or the Python fallback."""
    with _lock:
        explicit = settings.current().launcher
        if explicit == "python":  # force the fallback (tests, or a host without gcc)
            return _python_launcher()
        if explicit:
            return (explicit,)
        name = f"launcher-{source_hash()}"
        shipped = SOURCE.with_name(name)  # prebuilt into a function zip by tools/package_functions.py
        if shipped.is_file() and os.access(shipped, os.X_OK):
            return (str(shipped),)
        for d in _cache_dirs():
            if (d / name).is_file() and os.access(d / name, os.X_OK):
                return (str(d / name),)
        if _compiler() is not None:
            for d in _cache_dirs():
                try:
                    return (str(build(d)),)
                except OSError:
                    continue  # not writable: try the next cache dir
        return _python_launcher()


@cache
def sealed_launcher(path: str) -> str:
    """A path that executes an unchangeable copy of the launcher at `path`: a sealed memfd, run
    through /proc/self/fd (the exec'ing process's own fd table: the fd is inherited, close-on-exec).

    Direct mode needs it: the program runs as our uid and could overwrite a launcher that lives in a
    cache directory of that uid, and every later run would then start the program's code unwatched.
    Falls back to `path` where memfds cannot be sealed."""
    import fcntl

    data = Path(path).read_bytes()
    try:
        fd = os.memfd_create("judge-launcher", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    except (AttributeError, OSError):
        return path
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
    # Far above the fds a spawn places (0-4 and the holder's): a low number (3 in a process with
    # few files open, as a Lambda runtime may be) would be overwritten by the run's own pipes
    # before the exec, which then runs a pipe (EACCES).
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, SEALED_FD_FLOOR)
    os.close(fd)
    return f"/proc/self/fd/{high}"


def _python_launcher() -> tuple[str, ...]:
    # -I -S: a bare interpreter, small RSS (which is what its children start from); the real
    # binary, not a venv symlink, so that binding sys.base_prefix makes it visible in bwrap
    python = os.path.realpath(sys.executable)
    return (python, "-I", "-S", str(Path(__file__).with_name("pylauncher.py")))


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else _cache_dirs()[0]))
