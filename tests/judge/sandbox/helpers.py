"""Shared by tests/judge/sandbox and tests/judge/adversarial: build test programs once, run them, and check
that nothing they started outlived the run."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from judge.sandbox import Limits, RunSpec, start

ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
_BUILD_DIR = Path(tempfile.mkdtemp(prefix="judge-test-build-"))
os.chmod(_BUILD_DIR, 0o755)
_built: dict[str, Path] = {}
atexit.register(shutil.rmtree, _BUILD_DIR, True)


def build(source: Path | str, code: str | None = None, flags: tuple[str, ...] = ("-O2",)) -> Path:
    """Compile a C/C++ file (or inline `code` named like `source`) once per test session."""
    source = Path(source)
    text = code if code is not None else source.read_text()
    key = hashlib.sha256((source.name + text + " ".join(flags)).encode()).hexdigest()[:16]
    if key not in _built:
        src = _BUILD_DIR / f"{key}-{source.name}"
        src.write_text(text)
        out = _BUILD_DIR / f"{key}-{source.stem}"
        compiler = "g++" if source.suffix == ".cpp" else "gcc"
        subprocess.run([compiler, *flags, "-o", str(out), str(src)], check=True)
        _built[key] = out
    return _built[key]


def marker() -> str:
    return f"judge-test-{uuid.uuid4().hex}"


def leftovers(mark: str, uid: int | None = None) -> list[int]:
    """Processes still alive whose command line carries `mark`, or that run as `uid`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if uid is not None and os.stat(f"/proc/{name}").st_uid == uid:
                found.append(int(name))
                continue
            with open(f"/proc/{name}/cmdline", "rb") as f:
                if mark.encode() in f.read():
                    found.append(int(name))
        except OSError:
            pass
    return found


def run_binary(binary: Path, workdir: Path, *args: str, limits: Limits | None = None, **spec_fields):
    """Copy `binary` into `workdir` and run it with a unique marker as its last argument.
    Returns (observation, marker, uid) so callers can check for leftovers."""
    target = workdir / binary.name
    if not target.exists():
        shutil.copy(binary, target)
    mark = marker()
    spec = RunSpec(
        argv=[f"./{binary.name}", *args, mark],
        workdir=workdir,
        limits=limits or Limits(),
        env=dict(ENV),
        **spec_fields,
    )
    prog = start(spec)
    obs = prog.wait()
    return obs, mark, prog.uid


def assert_clean(mark: str, uid: int | None) -> None:
    left = leftovers(mark, uid)
    assert not left, f"processes outlived the run: {left}"
