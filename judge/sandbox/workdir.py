"""Private working directories for sandboxed runs."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from judge.sandbox import isolation


@contextlib.contextmanager
def fresh_workdir(prefix: str = "judge-", parent: str | os.PathLike | None = None) -> Iterator[Path]:
    """A new private directory for one compile or run, removed afterwards with everything the
    program put there (read-only files and directories included).

    Without root it is 0700, owned by the judge (the program runs as the same uid). With root
    it is root:<sandbox gid> 2770: every sandbox slot uid reaches it through the shared group,
    files created inside keep that group, and nobody else can enter.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        iso = isolation.current()
        if iso.separate_uid:
            os.chown(path, -1, iso.gid)
            os.chmod(path, stat.S_ISGID | 0o770)
        yield path
    finally:
        remove_tree(path)


def remove_tree(path: Path) -> None:
    """rmtree that also gets through directories the program made read-only or unsearchable."""

    def fix_and_retry(func, failed, _exc):
        parent = os.path.dirname(failed)
        for p in (parent, failed):
            try:
                os.chmod(p, 0o700, follow_symlinks=False)
            except (OSError, NotImplementedError):
                pass
        if func is os.rmdir or os.path.isdir(failed) and not os.path.islink(failed):
            shutil.rmtree(failed, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(failed)

    if _remove_flat(path):
        return
    if os.path.lexists(path):
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700)
        # make every directory writable+searchable first (top-down, before os.walk enters it)
        for root, dirs, _files in os.walk(path, onerror=lambda e: None):
            for d in dirs:
                with contextlib.suppress(OSError):
                    p = os.path.join(root, d)
                    if not os.path.islink(p):
                        os.chmod(p, 0o700)
        shutil.rmtree(path, onexc=fix_and_retry)


def _remove_flat(path: Path) -> bool:
    """The common case at a few syscalls: a directory holding files only. False (with nothing or
    only some files removed) when anything else is there or anything fails: the caller's thorough
    way takes over."""
    try:
        with os.scandir(path) as entries:
            names = []
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    return False
                names.append(entry.path)
        for name in names:
            os.unlink(name)
        os.rmdir(path)
    except OSError:
        return False
    return True
