"""The sandbox contract: run one command under limits and report what it did.

The sandbox never sees expected answers; it only observes. Checking happens elsewhere
(`judge.checkers`), possibly in another execution environment (see docs/ARCHITECTURE.md). The wire
form of these types, for that other environment, is `contracts.sandbox_protocol`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class MemoryModel(StrEnum):
    """How memory is limited: RLIMIT_AS for native code and CPython; heap flag + RSS polling for the JVM."""

    ADDRESS_SPACE = "address_space"
    RSS_POLLING = "rss_polling"


@dataclass(frozen=True)
class Limits:
    cpu_time_s: float = 1.0
    wall_time_s: float = 3.0  # sleepers are TLE too
    memory_mib: int = 256
    output_mib: int = 64  # stdout cap; beyond it: OUTPUT_LIMIT
    stderr_kib: int = 64  # stderr is kept up to this, then discarded (not a failure)
    file_size_mib: int = 16  # RLIMIT_FSIZE for files the program writes
    processes: int = 64  # RLIMIT_NPROC-style cap (threads count)
    open_files: int = 64
    memory_model: MemoryModel = MemoryModel.ADDRESS_SPACE


@dataclass(frozen=True)
class RunSpec:
    """One program run. `argv[0]` is resolved by the sandbox (absolute path or PATH lookup in `env`)."""

    argv: list[str]
    workdir: Path  # private working directory, already holding the program's files
    limits: Limits
    env: dict[str, str] = field(default_factory=dict)  # the whole environment: nothing is inherited
    stdin_path: Path | None = None  # None: /dev/null
    stdin_fd: int | None = None  # for interactive wiring: an fd to use as stdin instead
    stdout_fd: int | None = None  # for interactive wiring: stdout goes here, not captured
    writable_workdir: bool = True  # compilers need it; runs get a fresh copy anyway
    # Extra directories/files made visible read-only (toolchains outside /usr, e.g. under a Lambda
    # layer root). Only matters in a mount namespace; in direct mode the whole filesystem is visible.
    readonly_paths: tuple[Path, ...] = ()


class Outcome(StrEnum):
    """What happened, as far as the sandbox can tell (the checker turns OK into AC/WA)."""

    OK = "OK"  # exited 0
    RUNTIME_ERROR = "RUNTIME_ERROR"  # non-zero exit or killed by a signal we did not send
    TIME_LIMIT = "TIME_LIMIT"  # CPU or wall limit
    MEMORY_LIMIT = "MEMORY_LIMIT"
    OUTPUT_LIMIT = "OUTPUT_LIMIT"
    SANDBOX_ERROR = "SANDBOX_ERROR"  # could not start, or the sandbox itself failed


@dataclass
class Observation:
    outcome: Outcome
    exit_code: int | None
    signal: int | None
    cpu_ms: int
    wall_ms: int
    memory_kb: int  # peak, of the submitted program only
    stdout: bytes = b""
    stderr: bytes = b""  # truncated to limits.stderr_kib
    detail: str = ""  # human-readable reason (e.g. "wall time limit", "could not exec")
