"""Problem packages on the worker: fetched from the database once per content hash, kept in /tmp.

Warm invocations of the same worker reuse the unpacked package; a new version of a problem has a new
hash, so a stale copy is never used.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Protocol

from contracts.errors import ProblemNotFound
from judge.problem import Problem, load_problem

__all__ = ["PackageStore", "ProblemCache", "ProblemNotFound"]


class PackageStore(Protocol):
    def package_sha256(self, problem_id: str) -> str:
        """The content hash of the problem's current package; raise ProblemNotFound if none."""

    def package_bytes(self, sha256: str) -> bytes:
        """The package archive (tar.gz) with that hash."""


class ProblemCache:
    def __init__(self, directory: Path, store: PackageStore):
        self.directory = directory
        self.store = store

    def load(self, problem_id: str) -> Problem:
        sha256 = self.store.package_sha256(problem_id)
        target = self.directory / sha256
        if not (target / ".complete").exists():
            self._unpack(sha256, target)
        return load_problem(target)

    def _unpack(self, sha256: str, target: Path) -> None:
        data = self.store.package_bytes(sha256)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError(f"problem package {sha256} is corrupt (hash mismatch)")
        self.directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{sha256[:12]}-", dir=self.directory))
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
                archive.extractall(staging, filter="data")  # refuses absolute paths and escaping links
            (staging / ".complete").touch()
            try:
                staging.rename(target)  # atomic: a concurrent reader sees all of it or none
            except OSError:
                # Another environment sharing this disk won the race; its copy is the same bytes.
                if not (target / ".complete").exists():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
