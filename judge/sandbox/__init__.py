"""Run-and-observe: one process tree under limits, measured, swept. The contract is in api.py.

    run(spec) -> Observation                 blocking
    start(spec) -> RunningProgram            .pid, .wait() -> Observation, .kill(), .poll()
    isolation_mode() -> "bwrap" | "direct"   describe_isolation() for the long form
    fresh_workdir()                          a private temp dir for one compile or run

How (details in the modules): the program is started by a tiny C launcher (launcher.c) that
applies rlimits, drops to a sandbox uid when we are root, forks the program, watches CPU, wall
time, tree RSS and task count, and at the end kills and reaps the whole tree (it is a child
subreaper, so double-forked daemons come back to it). With root and bubblewrap the program runs
in namespaces (isolation.py): by default each run joins a long-lived per-slot holder made by
bubblewrap (network, uts, mount template) and gets fresh mount/ipc/pid namespaces of its own, which
costs a fraction of a whole bwrap per run. Memory and CPU come from the launcher's
getrusage(RUSAGE_CHILDREN), so the judge's own size never shows (outcome.py has the MLE rule).

What a submission can still do in direct mode without root (AWS Lambda: no namespaces, one uid):
  - read /proc/<pid>/{environ,cmdline,fd,maps,...} of every process of that uid (the Lambda runtime
    and the sandbox function's handler included) and signal them, kill(-1, SIGKILL) included,
    which ends the sandbox function's invocation (the worker sees a failed invoke);
  - open network connections the function's network allows; write files anywhere the uid may
    (/tmp: RLIMIT_FSIZE caps each file, not their number), which persist until the execution
    environment is recycled unless the caller cleans them;
  - read anything the uid can read (the function code, its layers).
It cannot exceed its CPU, wall, memory, output, file-size, open-file limits, fork more than its
task budget (RLIMIT_NPROC = the uid's current tasks + the limit, plus count-and-kill), keep a
process alive after the run (tree sweep), or see the expected answers: the pipeline runs the
checker, and keeps credentials, in a different execution environment.
"""

from judge.sandbox.api import Limits, MemoryModel, Observation, Outcome, RunSpec
from judge.sandbox.isolation import current as _current
from judge.sandbox.process import RunningProgram, run, start
from judge.sandbox.workdir import fresh_workdir, remove_tree


def isolation_mode() -> str:
    """The mode every run in this process uses: "bwrap" or "direct"."""
    return _current().mode


def runs_as_our_uid() -> bool:
    """Whether programs run as this process's own uid (direct mode without root: AWS Lambda)."""
    return _current().same_uid


def describe_isolation() -> str:
    return _current().describe()


__all__ = [
    "Limits",
    "MemoryModel",
    "Observation",
    "Outcome",
    "RunSpec",
    "RunningProgram",
    "describe_isolation",
    "fresh_workdir",
    "isolation_mode",
    "remove_tree",
    "run",
    "runs_as_our_uid",
    "start",
]
