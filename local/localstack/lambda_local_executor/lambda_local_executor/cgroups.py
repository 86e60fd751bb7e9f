"""A cgroup (v1) per execution environment: its memory size enforced, CPU shares that scale with it.

Lambda gives a function CPU in proportion to its memory (one vCPU at 1,769 MB); here that is
`cpu.shares`, which only bites under contention (Lambda caps, this weighs: see the README), or
with LOCAL_LAMBDA_CPU=cap a CFS quota of that many CPUs, a cap as in Lambda even on an idle machine
(what the end-to-end benchmark uses, so a small function is as slow here as there). Its INIT
phase gets at least one whole vCPU, whatever the memory size, as on-demand Lambda functions do
(AWS's "Effectively running Java on serverless" guide: "a full vCPU (non-throttled) but limited to
10 seconds during its initialization phase"); `end_init` settles it to the memory's share. The
memory limit covers every process of the environment and its tmpfs /tmp pages, and the kernel's
OOM kill inside it is what the init (which reads the group's counters itself) reports as
Runtime.ExitError.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

ROOT = Path(os.environ.get("LOCAL_LAMBDA_CGROUP_ROOT", "/sys/fs/cgroup"))
PARENT = "lambda-local"
MB_PER_VCPU = 1769
# The parent of all environments competes with this machine's other processes (LocalStack,
# MariaDB, the API) as one entity; weighted like that many busy processes, so that functions are
# not starved by the emulator that in AWS would not share their CPUs at all.
PARENT_CPU_SHARES = 16 * 1024
CFS_PERIOD_US = 100_000


def cpu_quota_us(memory_mb: int) -> int:
    """The CFS quota per period that gives `memory_mb` its Lambda share of CPUs."""
    return max(1000, memory_mb * CFS_PERIOD_US // MB_PER_VCPU)


def cpu_shares(memory_mb: int) -> int:
    return max(2, memory_mb * 1024 // MB_PER_VCPU)


def init_memory_mb(memory_mb: int) -> int:
    """The memory size whose CPU share the INIT phase runs with: one vCPU's at least."""
    return max(memory_mb, MB_PER_VCPU)


def available() -> bool:
    return os.geteuid() == 0 and (ROOT / "memory").is_dir() and os.access(ROOT / "memory", os.W_OK)


class EnvironmentCgroup:
    def __init__(self, env_id: str, memory_mb: int) -> None:
        self.memory = ROOT / "memory" / PARENT / env_id
        self.cpu = ROOT / "cpu" / PARENT / env_id
        self.memory_mb = memory_mb

    def create(self) -> None:
        self.memory.mkdir(parents=True, exist_ok=True)
        limit = str(self.memory_mb * 1024 * 1024)
        (self.memory / "memory.limit_in_bytes").write_text(limit)
        swap_limit = self.memory / "memory.memsw.limit_in_bytes"
        if swap_limit.exists():  # no swap beyond the memory size either
            swap_limit.write_text(limit)
        (self.memory / "memory.swappiness").write_text("0")
        if self.cpu.parent.parent.is_dir():
            self.cpu.mkdir(parents=True, exist_ok=True)
            (self.cpu.parent / "cpu.shares").write_text(str(PARENT_CPU_SHARES))
            self._give_cpu(init_memory_mb(self.memory_mb))

    def end_init(self) -> None:
        """The runtime is ready: from its first invocation on, the memory size's share of CPU."""
        if self.cpu.is_dir():
            self._give_cpu(self.memory_mb)

    def _give_cpu(self, memory_mb: int) -> None:
        (self.cpu / "cpu.shares").write_text(str(cpu_shares(memory_mb)))
        if os.environ.get("LOCAL_LAMBDA_CPU", "shares") == "cap":
            (self.cpu / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
            (self.cpu / "cpu.cfs_quota_us").write_text(str(cpu_quota_us(memory_mb)))

    def procs_files(self) -> list[Path]:
        return [d / "cgroup.procs" for d in (self.memory, self.cpu) if d.is_dir()]

    def destroy(self) -> None:
        """Remove both groups once their processes are gone (rmdir fails while any is left)."""
        for directory in (self.memory, self.cpu):
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    for pid in _pids(directory):
                        _kill(pid)
                    time.sleep(0.05)
            else:
                shutil.rmtree(directory, ignore_errors=True)


def _pids(directory: Path) -> list[int]:
    try:
        return [int(p) for p in (directory / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def _kill(pid: int) -> None:
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
