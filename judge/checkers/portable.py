"""A built output validator as files and an argv, to run where it was not built.

The worker builds an interactive problem's validator (it has the compilers); the sandbox function
runs it next to the submission. The argv names files of the validator as "@/<path>" and the Python
interpreter as "<python>" (each side has its own). C and C++ validators are linked statically by the
language table's compile command, so they run in every sandbox function.

`materialize` writes it out for one run with the program it executes first made execute-only: a
process that execs a file it may not read is not dumpable (the kernel's rule for unreadable
binaries), so in direct mode, where the submission shares our uid, the validator's memory, file
descriptors and environment stay closed to it (judge/checkers/private_interaction.py checks it).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from judge.toolchain import find_tool, tool_env

MAX_VALIDATOR_BYTES = 32 << 20  # what one request may carry (gzipped it is far less)
PYTHON = "<python>"
_EXECUTE_ONLY = 0o111


class PortableValidatorError(ValueError):
    """The validator cannot be carried or run this way; the reason says why."""


@dataclass(frozen=True)
class PortableValidator:
    files: dict[str, tuple[int, bytes]]  # relative POSIX paths -> (mode, content)
    argv: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in self.files:
            _check_relative(name)
        if not self.argv:
            raise PortableValidatorError("a validator needs an argv")
        for part in self.argv:
            if part.startswith("@/") and part[2:] not in self.files and not any(
                    name.startswith(part[2:] + "/") for name in self.files):  # a file or a directory of them
                raise PortableValidatorError(f"the argv names {part!r}, which is not among the files")
        if sum(len(data) for _, data in self.files.values()) > MAX_VALIDATOR_BYTES:
            raise PortableValidatorError(f"the built validator is over {MAX_VALIDATOR_BYTES >> 20} MB")

    @classmethod
    def from_entry(cls, entry: Path, argv: list[str], python: str) -> PortableValidator:
        """From a validator cache entry and its recorded argv ("@/" paths inside the entry)."""
        files, total = {}, 0
        for path in sorted(entry.rglob("*")):
            if not path.is_file() or path.is_symlink() or path.name == "command.json":
                continue
            total += path.stat().st_size
            if total > MAX_VALIDATOR_BYTES:
                raise PortableValidatorError(f"the built validator is over {MAX_VALIDATOR_BYTES >> 20} MB")
            files[path.relative_to(entry).as_posix()] = (path.stat().st_mode & 0o755, path.read_bytes())
        return cls(files, tuple(PYTHON if part == python else part for part in argv))

    def digest(self) -> str:
        hasher = hashlib.sha256("\0".join(self.argv).encode())
        for name in sorted(self.files):
            mode, data = self.files[name]
            hasher.update(f"\0{name}\0{mode:o}\0".encode() + hashlib.sha256(data).digest())
        return hasher.hexdigest()

    def materialize(self, directory: Path) -> tuple[list[str], dict[str, str]]:
        """Write the files into `directory` (new) and return the argv and environment that run it.
        The executable the argv starts with is written execute-only (for "<python>", a private
        execute-only copy of the interpreter); a script there is refused: its interpreter has to
        read it, so it could not be kept unreadable."""
        directory.mkdir(mode=0o700)
        first = self.argv[0]
        for name, (mode, data) in self.files.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if f"@/{name}" == first:
                if data.startswith(b"#!"):
                    raise PortableValidatorError(
                        f"the validator's program {name} is a script: in direct mode it must be a compiled "
                        "program, a Python program or another binary, which can be run without being readable")
                mode = _EXECUTE_ONLY
            _write(target, data, mode)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        argv = [str(directory / part[2:]) if part.startswith("@/") else part for part in self.argv]
        if first == PYTHON:
            interpreter = find_tool("python")
            if interpreter is None:
                raise PortableValidatorError("no Python interpreter for a Python validator")
            argv[0] = str(directory / ".python")
            with open(interpreter, "rb") as source:
                _write(Path(argv[0]), source.read(), _EXECUTE_ONLY)
            # The copy lives elsewhere than its standard library; tell it where that is.
            env.update(tool_env(("python",)), PYTHONHOME=sys.base_prefix, PYTHONDONTWRITEBYTECODE="1")
        elif PYTHON in argv:
            raise PortableValidatorError("<python> may only start a validator's argv")
        return argv, env


def _check_relative(name: str) -> None:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or name.startswith("."):
        raise PortableValidatorError(f"validator file {name!r} is not a plain relative path")


def _write(path: Path, data: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
