"""An interactive test where the submission shares our uid (direct mode: the sandbox function in
Lambda), with the validator's secrets kept from it.

A submission in direct mode can read every file of its uid and every dumpable process's memory,
file descriptors and environment, and it can write every file of its uid. So:
- the test's input and answer never touch the file system: each is a sealed memfd, given to the
  validator as `/proc/self/fd/<n>`, a path that means the validator's own descriptor to whoever
  opens it;
- the validator runs from an execute-only file (judge/checkers/portable.py), so it is not dumpable,
  and that is checked before the submission starts (its `/proc/<pid>/environ` must be closed to
  us): a validator anyone of our uid could read is a JUDGE_ERROR, and the submission never runs;
- its feedback directory is reached through its own descriptor (`/proc/self/fd/<n>/`: renaming or
  replacing the directory changes nothing for it) and holds one symlink per feedback file to a memfd
  of the validator's own (`/proc/self/fd/<m>`), so what it writes there lands in memory nobody else
  can open. A submission can replace a symlink; it is then found changed (inode and ctime, which no
  process can set) and the test is the submission's RUNTIME_ERROR, never a verdict from feedback it
  may have forged;
- its stderr is a memfd too, and before the test every process left of earlier runs is killed,
  after it every process of this one (nothing of the submission is alive while we read).
What stays readable to the submission: the validator's own program files and its scratch directory.
"""

from __future__ import annotations

import fcntl
import os
import struct
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from judge import sandbox
from judge.checkers.base import FEEDBACK_FILES, FEEDBACK_READ_LIMIT
from judge.checkers.interactive import InteractionFacts, ValidatorLaunch, interact, not_run
from judge.checkers.portable import PortableValidator, PortableValidatorError
from judge.sandbox import hardening
from judge.sandbox.api import RunSpec

LOG_READ_LIMIT = 64 << 10
_SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE


@dataclass(frozen=True)
class TestSecrets:
    """What only the validator may see of one test."""

    __test__ = False  # not a pytest test class, despite the name

    input: bytes
    answer: bytes

    def pack(self) -> bytes:
        return struct.pack(">Q", len(self.input)) + self.input + self.answer

    @classmethod
    def unpack(cls, data: bytes) -> TestSecrets:
        if len(data) < 8 or struct.unpack(">Q", data[:8])[0] > len(data) - 8:
            raise ValueError("packed test secrets are malformed")
        size = struct.unpack(">Q", data[:8])[0]
        return cls(data[8:8 + size], data[8 + size:])


@dataclass
class PrivateInteraction:
    """An interaction's facts, and what the validator left, read from memory only we hold."""

    facts: InteractionFacts
    feedback: dict[str, bytes] = field(default_factory=dict)
    log: bytes = b""
    interference: str = ""  # set when the submission touched the validator's feedback


def _memfd(name: str, data: bytes = b"", *, sealed: bool = False) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC | (os.MFD_ALLOW_SEALING if sealed else 0))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    if sealed:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS)  # the validator reads it; nobody changes it
    return fd


def _read_memfd(fd: int, limit: int) -> bytes:
    return os.pread(fd, limit, 0)


class _Feedback:
    """The feedback directory: a symlink per feedback file to a memfd the validator inherits."""

    def __init__(self, directory: Path):
        directory.mkdir(mode=0o700)
        self.dir_fd = os.open(directory, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        self.fds: dict[str, int] = {}
        self._links: dict[str, tuple[int, int]] = {}
        for name in FEEDBACK_FILES:
            fd = self.fds[name] = _memfd(name)
            os.symlink(f"/proc/self/fd/{fd}", name, dir_fd=self.dir_fd)
            st = os.lstat(name, dir_fd=self.dir_fd)
            self._links[name] = (st.st_ino, st.st_ctime_ns)

    @property
    def path(self) -> str:
        return f"/proc/self/fd/{self.dir_fd}/"

    def all_fds(self) -> tuple[int, ...]:
        return (self.dir_fd, *self.fds.values())

    def tampered(self) -> str:
        for name, (inode, ctime) in self._links.items():
            try:
                st = os.lstat(name, dir_fd=self.dir_fd)
            except OSError:
                return f"the validator's feedback file {name} was removed"
            if (st.st_ino, st.st_ctime_ns) != (inode, ctime):
                return f"the validator's feedback file {name} was replaced"
        return ""

    def contents(self) -> dict[str, bytes]:
        found = {}
        for name, fd in self.fds.items():
            if os.fstat(fd).st_size:  # written (an empty file and no file read the same way)
                found[name] = _read_memfd(fd, FEEDBACK_READ_LIMIT)
        return found

    def close(self) -> None:
        for fd in (*self.fds.values(), self.dir_fd):
            os.close(fd)


def _closed_to_our_uid(pid: int) -> str | None:
    """None if nobody of our uid can read the validator's memory or descriptors, else why not."""
    try:
        os.close(os.open(f"/proc/{pid}/environ", os.O_RDONLY | os.O_CLOEXEC))
    except PermissionError:
        return None
    except OSError as error:
        return f"the output validator could not be checked ({error})"
    return ("the output validator is readable by any process of its uid (it is dumpable), so the "
            "submission could read its answer: it was not started")


def interact_privately(program: PortableValidator, secrets: TestSecrets, flags: Sequence[str],
                       submission_spec: RunSpec, grace_s: float) -> PrivateInteraction:
    """One interactive test with the validator's input, answer and feedback out of the submission's
    reach; the submission's spec is wired to the validator as `interactive.interact` does."""
    direct = sandbox.runs_as_our_uid()
    if direct:
        hardening.sweep()  # nothing of an earlier run is alive while this test's secrets exist
    with tempfile.TemporaryDirectory(prefix="judge-interact-") as scratch:
        root = Path(scratch)
        try:
            argv, env = program.materialize(root / "validator")
        except PortableValidatorError as error:
            return PrivateInteraction(InteractionFacts(not_run("the validator could not be prepared"), None,
                                                       failure=str(error)))
        (root / "cwd").mkdir()
        input_fd = _memfd("input", secrets.input, sealed=True)
        answer_fd = _memfd("answer", secrets.answer, sealed=True)
        log_fd = _memfd("validator.log")
        feedback = _Feedback(root / "feedback")
        try:
            launch = ValidatorLaunch(
                [*argv, f"/proc/self/fd/{input_fd}", f"/proc/self/fd/{answer_fd}", feedback.path, *flags],
                root / "cwd", log_fd, env, pass_fds=(input_fd, answer_fd, *feedback.all_fds()),
                started=_closed_to_our_uid if direct else None)
            facts = interact(launch, submission_spec, grace_s)
            if direct:
                hardening.sweep()  # nothing of the submission alive while we read what is left
            return PrivateInteraction(facts, feedback.contents(), _read_memfd(log_fd, LOG_READ_LIMIT),
                                      feedback.tampered())
        finally:
            feedback.close()
            for fd in (input_fd, answer_fd, log_fd):
                os.close(fd)
