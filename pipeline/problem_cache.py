"""Problem packages on the worker: fetched once per content hash, unpacked into /tmp, bounded LRU.

Per submission the database is asked one small question: which archive (sha256, S3 key, size) is the
problem's current package. A package already unpacked in this environment's cache
(`<directory>/<sha256>/`) is used as it is; otherwise the archive is fetched from the package bucket
(or, for a package imported before packages moved to S3, from its chunks in the database), and its
sha256 is checked before anything is unpacked: an archive with another hash (or another size than the
index says) is refused with ProblemPackageError, and the submission ends FAILED with that reason.

A new version of a problem has a new hash, so a stale copy is never used. The cache holds at most
`max_bytes` of unpacked packages (Lambda's /tmp is the function's ephemeral storage, shared with
everything else the worker writes); the least recently used are removed to make room. The directory
belongs to one execution environment, which judges one submission at a time: an entry is never
removed while a submission of this environment uses it. Unpacking is atomic (a staging directory
renamed into place), so environments that do share a directory still never see half a package.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import shutil
import tarfile
import tempfile
import time
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

from contracts.errors import ProblemNotFound, ProblemPackageError, s3_object_absent
from judge.problem import Problem, load_problem
from store.packages import PackageRef

__all__ = ["PackageStore", "ProblemCache", "ProblemNotFound", "ProblemPackageError"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1024 << 20
MARKER = ".complete"  # written last into an unpacked package: {"bytes": <unpacked size>}
STALE_STAGING_S = 900  # staging left by an environment that died mid-unpack (no invocation lasts longer)
READ_CHUNK = 1 << 20
LOADED_HELD = 16  # packages kept read in memory (their test data stays on disk)
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PackageStore(Protocol):
    def package_ref(self, problem_id: str) -> PackageRef:
        """Where the problem's current package is; raise ProblemNotFound if there is no such problem."""

    def package_bytes(self, sha256: str) -> bytes:
        """A package kept as chunks in the database (imported before packages moved to S3)."""


class ProblemCache:
    def __init__(self, directory: Path, store: PackageStore, s3=None, bucket: str | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES):
        self.directory = Path(directory)
        self.store = store
        self.s3 = s3
        self.bucket = bucket
        self.max_bytes = max_bytes
        # Packages read from their directories, by hash: an unpacked package never changes, so
        # the next submission to it skips the YAML and the directory walk while its marker stands.
        self._loaded: OrderedDict[str, Problem] = OrderedDict()

    def load(self, problem_id: str) -> Problem:
        ref = self.store.package_ref(problem_id)
        if not _SHA256.fullmatch(ref.sha256 or ""):  # it names a directory here
            raise ProblemPackageError(f"problem {problem_id!r} names no package hash ({ref.sha256!r})")
        target = self.directory / ref.sha256
        marker = target / MARKER
        if marker.exists():
            _used_now(marker)
            if (held := self._loaded.get(ref.sha256)) is not None:
                self._loaded.move_to_end(ref.sha256)
                return held
        else:
            self._install(ref, target)
        problem = self._loaded[ref.sha256] = load_problem(target)
        while len(self._loaded) > LOADED_HELD:
            self._loaded.popitem(last=False)
        return problem

    # ---- fetch, verify, unpack -------------------------------------------------------------------

    def _install(self, ref: PackageRef, target: Path) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".download-{ref.sha256[:12]}-", dir=self.directory)
        archive = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                self._fetch(ref, out)
            self._unpack(ref.sha256, archive, target)
        finally:
            archive.unlink(missing_ok=True)

    def _fetch(self, ref: PackageRef, out) -> None:
        """Write the archive to `out`, refusing it unless it is the bytes `ref.sha256` names."""
        digest, size = hashlib.sha256(), 0
        if ref.object_key is None:
            where = "the database"
            data = self.store.package_bytes(ref.sha256)
            digest.update(data)
            out.write(data)
            size = len(data)
        else:
            where = f"s3://{self.bucket}/{ref.object_key}"
            if self.s3 is None or not self.bucket:
                raise ProblemPackageError(f"package {ref.sha256} is in the package bucket, and no bucket is configured")
            for chunk in self._object_chunks(ref, where):
                size += len(chunk)
                if ref.size_bytes is not None and size > ref.size_bytes:
                    raise ProblemPackageError(f"package {ref.sha256} at {where} is larger than the "
                                              f"{ref.size_bytes} bytes indexed: refused")
                digest.update(chunk)
                out.write(chunk)
            if ref.size_bytes is not None and size != ref.size_bytes:
                raise ProblemPackageError(f"package {ref.sha256} at {where} is {size} bytes, not the "
                                          f"{ref.size_bytes} indexed: refused")
        if digest.hexdigest() != ref.sha256:
            raise ProblemPackageError(f"package {ref.sha256} from {where} has another sha256 "
                                      f"({digest.hexdigest()}): refused, not judged from it")
        log.info("fetched package %s from %s (%d bytes)", ref.sha256[:12], where, size)

    def _object_chunks(self, ref: PackageRef, where: str):
        from botocore.exceptions import ClientError

        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=ref.object_key)
        except ClientError as error:
            # The index names an object this worker cannot have, which no retry changes.
            if s3_object_absent(error):
                code = error.response.get("Error", {}).get("Code")
                raise ProblemPackageError(f"package {ref.sha256} is indexed at {where}, which is missing "
                                          f"or not readable ({code})") from None
            raise
        body = response["Body"]
        try:
            while chunk := body.read(READ_CHUNK):
                yield chunk
        finally:
            body.close()

    def _unpack(self, sha256: str, archive: Path, target: Path) -> None:
        try:
            with tarfile.open(archive, mode="r:gz") as tar:
                unpacked = sum(member.size for member in tar.getmembers())
                self._make_room(unpacked, keep=sha256)
                staging = Path(tempfile.mkdtemp(prefix=f".{sha256[:12]}-", dir=self.directory))
                try:
                    tar.extractall(staging, filter="data")  # refuses absolute paths and escaping links
                    (staging / MARKER).write_text(json.dumps({"bytes": unpacked}))
                    _used_now(staging / MARKER)
                    try:
                        staging.rename(target)  # atomic: a concurrent reader sees all of it or none
                    except OSError:
                        # Another environment sharing this disk won the race; its copy is the same bytes.
                        if not (target / MARKER).exists():
                            raise
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise ProblemPackageError(f"package {sha256} cannot be unpacked: {error}") from None

    # ---- the bound -------------------------------------------------------------------------------

    def _make_room(self, needed: int, keep: str) -> None:
        """Remove least recently used packages until `needed` more bytes fit under `max_bytes`."""
        entries, total, now = [], 0, time.time()
        for child in self.directory.iterdir():
            try:
                if child.name.startswith("."):  # staging, a download, an eviction: a dead environment's when old
                    if now - child.lstat().st_mtime > STALE_STAGING_S:
                        _remove(child)
                    continue
                size, used = _entry(child)
            except FileNotFoundError:  # gone meanwhile (another environment sharing the directory)
                continue
            entries.append((used, child, size))
            total += size
        for _, child, size in sorted(entries, key=lambda entry: entry[0]):
            if total + needed <= self.max_bytes:
                break
            if child.name == keep:
                continue
            _remove(child)
            total -= size
            log.info("evicted package %s (%d bytes) from the cache", child.name[:12], size)
        if total + needed > self.max_bytes:
            log.warning("package %s needs %d bytes, more than the cache's bound of %d holds", keep[:12], needed,
                        self.max_bytes)


def _used_now(marker: Path) -> None:
    # The marker's mtime is the entry's last use. Set explicitly: the file system's own timestamps
    # come from a coarse clock (milliseconds apart), so two uses in a row could look simultaneous.
    now = time.time_ns()
    os.utime(marker, ns=(now, now))


def _entry(path: Path) -> tuple[int, int]:
    """(unpacked bytes, last use in ns) of a cached package; an entry without a readable marker counts
    its files and sorts first."""
    try:
        marker = path / MARKER
        return int(json.loads(marker.read_text())["bytes"]), marker.stat().st_mtime_ns
    except (OSError, ValueError, KeyError, TypeError):
        if not path.is_dir():
            return path.stat().st_size, 0
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()), 0


def _remove(path: Path) -> None:
    # Renamed first, so the hash's name is free at once and no reader finds a half-removed package.
    doomed = path if path.name.startswith(".") else path.with_name(f".evicted-{path.name[:12]}-{time.monotonic_ns()}")
    try:
        if doomed != path:
            path.rename(doomed)
    except OSError:
        return
    if doomed.is_dir():
        shutil.rmtree(doomed, ignore_errors=True)
    else:
        doomed.unlink(missing_ok=True)
