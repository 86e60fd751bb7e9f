"""Direct mode's defences for the process that runs the engine (the sandbox function's handler, the
CLI without root): in direct mode a submission shares this process's uid, so it could otherwise read
this process's memory and environment, take over its pipes, and leave processes behind.

    harden_this_process()   child subreaper (every orphan of a run comes back to us) and
                            non-dumpable (/proc/<us>/{environ,mem,fd} closed to the same uid)
    sweep()                 kill and reap every descendant but the ones the judge still owns
    own(pid) / disown(pid)  mark a child of ours (a running launcher, a validator) as not swept,
                            started under spawn_guard() so no sweep sees it unmarked
    empty_directory(path)   remove everything in it that we may remove (Lambda's /tmp)

Both prctl flags are per process and survive fork; exec resets "dumpable", which is why the
launcher sets it again itself (launcher.c). The sweep reads /proc/<us>/task/*/children: a few
reads when nothing was left behind, which is every run but an attack.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
import time

PR_SET_DUMPABLE, PR_GET_DUMPABLE, PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 4, 3, 36, 37
SWEEP_DEADLINE_S = 5.0

_libc = ctypes.CDLL(None, use_errno=True)
_lock = threading.Lock()
# Held while a child is started and registered as owned, and while a sweep picks its victims: a
# child another thread has just started is never taken for a stray.
_spawning = threading.RLock()
_owned: set[int] = set()
_hardened = False


def _prctl(option: int, value: int = 0) -> int:
    result = _libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0)
    if result < 0:
        raise OSError(ctypes.get_errno(), f"prctl({option})")
    return result


def harden_this_process() -> None:
    """Subreaper and non-dumpable, once; safe to call again."""
    global _hardened
    with _lock:
        if _hardened:
            return
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        _prctl(PR_SET_DUMPABLE, 0)
        _hardened = True


def is_hardened() -> bool:
    get = ctypes.c_int(0)
    _libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(get), 0, 0, 0)
    return bool(get.value) and _prctl(PR_GET_DUMPABLE) == 0


def spawn_guard() -> threading.RLock:
    """`with spawn_guard(): start the child; own(pid)` makes start and registration one step."""
    return _spawning


def own(pid: int) -> None:
    with _lock:
        _owned.add(pid)


def disown(pid: int) -> None:
    with _lock:
        _owned.discard(pid)


def _children(pid: int) -> list[int]:
    """Direct children of `pid`, over all its threads (a child belongs to the thread that made it)."""
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as handle:
                found.extend(int(p) for p in handle.read().split())
        except OSError:
            continue
    return found


def strays() -> list[int]:
    """Descendants of this process that the judge does not own: what a run left behind."""
    with _lock:
        owned_now = set(_owned)
    found, todo = [], [p for p in _children(os.getpid()) if p not in owned_now]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(_children(pid))
    return found


def sweep(deadline_s: float = SWEEP_DEADLINE_S) -> int:
    """Kill every stray and reap the ones that come back to us; returns how many were killed.

    A stray may fork while we look, but not out of our tree (we are its subreaper), so killing
    and looking again until nothing is left ends it."""
    killed: set[int] = set()
    until = time.monotonic() + deadline_s
    mine = os.getpid()
    while time.monotonic() < until:
        with _spawning:
            found = strays()
            for pid in found:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        if not found:
            break
        for pid in _children(mine):
            if pid in killed:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
        time.sleep(0.001)
    return len(killed)


def empty_directory(path) -> int:
    """Remove every entry of `path` (not `path` itself) that this uid may remove; returns how many.
    Entries the program made unremovable for itself (a read-only tree) are made removable first."""
    from judge.sandbox.workdir import remove_tree

    removed = 0
    try:
        entries = list(os.scandir(path))
    except OSError:
        return 0
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                remove_tree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
    return removed
