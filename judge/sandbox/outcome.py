"""Turn what the launcher saw into an Outcome. The memory-limit rule is documented here.

MEMORY_LIMIT, ADDRESS_SPACE model (RLIMIT_AS). The kernel never tells us that an allocation
failed: mmap/brk just return ENOMEM and the runtime reacts (C++ throws std::bad_alloc and usually
aborts, CPython raises MemoryError, C code dereferences NULL and segfaults, a too-deep recursion
overflows the stack, which counts against the same limit). So a run that ended abnormally
(non-zero exit or a signal) is MEMORY_LIMIT when there is evidence an allocation hit the limit:

  1. direct evidence: the tail of stderr carries a runtime's allocation-failure message
     (ALLOCATION_FAILURE below). This catches failures far below the limit in resident terms, e.g.
     one `new char[1 << 40]` or a vector doubling from 100 to 200 MiB under a 256 MiB limit; or
  2. indirect evidence: the peak resident memory reached MLE_NEAR_FRACTION of the limit. Resident
     memory is at most the address space, and a program that touches what it allocates fails with
     resident ~= limit minus the untouched parts of its mappings (libraries, stack reserve:
     typically < 10%). This catches silent deaths (malloc returned NULL, stack overflow).

A submission can fake rule 1 by printing the message and failing; it only trades one failing
verdict for another. A program that catches the failure and exits 0 is OK: it chose to survive.
Runs that exit 0 are never MEMORY_LIMIT in this model: the limit was never crossed.

RSS_POLLING model (the JVM: RLIMIT_AS breaks it): the launcher sums the RSS of the whole tree every
few ms and kills at the limit (MEMORY_LIMIT); an abnormal end with an OutOfMemoryError (the -Xmx
heap) or peak near the limit is MEMORY_LIMIT too. "unable to create native thread" is a thread/
process limit, not memory: RUNTIME_ERROR.
"""

from __future__ import annotations

import os
import signal as _signal
from dataclasses import dataclass

from judge.sandbox.api import Limits, MemoryModel, Outcome

MLE_NEAR_FRACTION = 0.9

ALLOCATION_FAILURE = (
    b"std::bad_alloc",
    b"MemoryError",
    b"OutOfMemoryError",
    b"Cannot allocate memory",
    b"out of memory",  # cc1plus, glibc
    b"memory exhausted",  # gcc "virtual memory exhausted", bison
    b"insufficient memory",  # the JVM cannot reserve its heap
)
NOT_MEMORY = (b"unable to create native thread", b"unable to create new native thread")


@dataclass
class Report:
    """One launcher run, parsed from its report line."""

    status: int = 0
    cpu_us: int = 0
    maxrss_kb: int = 0
    peak_rss_kb: int = 0
    wall_us: int = 0
    killed: str = "none"  # none | cpu | wall | rss | tasks | control | parent
    stage: int = 0  # launcher.c enum stage: where the child's setup failed (5 = exec)
    errno: int = 0
    program_pid: int | None = None
    complete: bool = False
    error: str = ""

    @classmethod
    def parse(cls, text: str) -> Report:
        """The report; a line that does not parse makes it incomplete (never an exception)."""
        try:
            return cls._parse(text)
        except (ValueError, KeyError):
            return cls(error="launcher: malformed report")

    @classmethod
    def _parse(cls, text: str) -> Report:
        rep = cls()
        for line in text.splitlines():
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            if "pid" in fields and len(fields) == 1:
                rep.program_pid = int(fields["pid"])
            elif "error" in fields:
                rep.error = f"launcher: {fields['error']} failed (errno {fields.get('errno', '?')})"
            elif "status" in fields:
                for key in ("status", "cpu_us", "maxrss_kb", "peak_rss_kb", "wall_us", "stage", "errno"):
                    setattr(rep, key, int(fields[key]))
                rep.killed = fields["killed"]
                rep.complete = True
        return rep


_STAGES = {
    1: "set limits for",
    2: "setsid for",
    3: "enter the working directory for",
    4: "drop privileges for",
    5: "exec",
}


def exit_fields(status: int) -> tuple[int | None, int | None]:
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status), None
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return None, None


def memory_kb(rep: Report) -> int:
    return max(rep.maxrss_kb, rep.peak_rss_kb)


def classify(
    limits: Limits, rep: Report, *, output_exceeded: bool, stderr_tail: bytes, argv0: str
) -> tuple[Outcome, str]:
    if not rep.complete:
        return Outcome.SANDBOX_ERROR, rep.error or "the launcher ended without a report"
    if rep.stage and rep.errno:
        what = _STAGES.get(rep.stage, f"stage {rep.stage}")
        return Outcome.SANDBOX_ERROR, f"could not {what} {argv0!r}: {os.strerror(rep.errno)}"
    code, sig = exit_fields(rep.status)
    cpu_ms = rep.cpu_us / 1000
    if output_exceeded:
        return Outcome.OUTPUT_LIMIT, f"stdout exceeded {limits.output_mib} MiB"
    if rep.killed == "cpu" or sig == _signal.SIGXCPU or cpu_ms > limits.cpu_time_s * 1000:
        return Outcome.TIME_LIMIT, f"CPU time limit ({limits.cpu_time_s:g} s)"
    if rep.killed == "wall":
        return Outcome.TIME_LIMIT, f"wall time limit ({limits.wall_time_s:g} s)"
    if rep.killed == "rss":
        return Outcome.MEMORY_LIMIT, f"resident memory reached {limits.memory_mib} MiB"
    if rep.killed == "tasks":
        return Outcome.RUNTIME_ERROR, f"more than {limits.processes} processes/threads"
    if sig == _signal.SIGXFSZ:
        return Outcome.OUTPUT_LIMIT, f"file size limit ({limits.file_size_mib} MiB)"
    if rep.killed in ("control", "parent"):
        return Outcome.RUNTIME_ERROR, "killed on request"
    if code == 0:
        return Outcome.OK, ""
    near = memory_kb(rep) >= MLE_NEAR_FRACTION * limits.memory_mib * 1024
    said_so = any(s in stderr_tail for s in ALLOCATION_FAILURE) and not any(
        s in stderr_tail for s in NOT_MEMORY
    )
    if said_so or near:
        why = "allocation failure reported" if said_so else "peak memory at the limit"
        return Outcome.MEMORY_LIMIT, f"{why} ({limits.memory_mib} MiB, {limits.memory_model.value})"
    if sig is not None:
        try:
            name = _signal.Signals(sig).name
        except ValueError:
            name = "real-time signal"
        return Outcome.RUNTIME_ERROR, f"killed by signal {sig} ({name})"
    return Outcome.RUNTIME_ERROR, f"exit code {code}"


__all__ = ["ALLOCATION_FAILURE", "MLE_NEAR_FRACTION", "MemoryModel", "Report", "classify", "exit_fields"]
