"""Unpack an uploaded problem package archive (zip or tar.gz) into a private directory, safely.

An upload is untrusted bytes. What it may do is bounded before anything reaches the disk, and every
refusal is an `ArchiveRefused` with an HTTP status and a machine-readable code:

- the format is told by magic bytes (`PK\\x03\\x04` zip, `\\x1f\\x8b` gzip), never by a name;
- the archive is at most `max_archive_bytes` (413 `archive_too_large`);
- at most `max_entries` entries (413 `too_many_entries`);
- at most `max_unpacked_bytes` written in all, counted while the bytes come out of the decompressor,
  never from the sizes the headers claim (413 `unpacked_too_large`: a zip or gzip bomb stops there);
  a tar's own headers (pax records included) are counted too, by the decompressed stream's length;
- every name is relative and stays inside: no absolute path, drive or backslash (422 `absolute_path`),
  no `..` (422 `path_traversal`), no NUL, no empty name, none over 1024 bytes (422 `unsafe_path`);
- only regular files and directories: symlinks and hard links (422 `link_entry`), devices, fifos
  and the like (422 `special_entry`);
- no name twice, nor a name that is a file and a directory (422 `duplicate_entry`);
- a broken archive is 422 `corrupt_archive`, an unknown format 415 `unsupported_archive_format`.

Files are created with O_EXCL | O_NOFOLLOW under a directory only this process made (mode 0700),
as plain files (0644, or 0755 when the archive marked them executable): nothing of the archive's
owners, times or other mode bits is kept.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

ZIP, TAR_GZ = "zip", "tar.gz"
_CHUNK = 64 * 1024
_MAX_NAME_BYTES = 1024  # far below PATH_MAX with the scratch directory in front; no package needs more
_TAR_HEADER_ALLOWANCE = 4096  # per entry, on top of max_unpacked_bytes: its header blocks and padding


class ArchiveRefused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class ArchiveLimits:
    max_archive_bytes: int = 32 * 1024 * 1024
    max_unpacked_bytes: int = 512 * 1024 * 1024
    max_entries: int = 10_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ArchiveLimits:
        """PACKAGE_MAX_ARCHIVE_MB, PACKAGE_MAX_UNPACKED_MB, PACKAGE_MAX_ENTRIES; the defaults otherwise."""
        env = os.environ if env is None else env
        default = cls()

        def number(name: str, fallback: int, scale: int = 1) -> int:
            raw = env.get(name)
            if not raw:
                return fallback
            if not raw.isdigit() or int(raw) == 0:
                raise RuntimeError(f"{name} must be a positive whole number, got {raw!r}")
            return int(raw) * scale

        mib = 1024 * 1024
        return cls(number("PACKAGE_MAX_ARCHIVE_MB", default.max_archive_bytes, mib),
                   number("PACKAGE_MAX_UNPACKED_MB", default.max_unpacked_bytes, mib),
                   number("PACKAGE_MAX_ENTRIES", default.max_entries))


@dataclass(frozen=True)
class _Entry:
    name: str  # as in the archive, for messages
    parts: tuple[str, ...]  # the checked relative path
    kind: str  # "file" or "dir"
    executable: bool = False


def archive_format(data: bytes) -> str:
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):  # a local file header; an empty archive's end record
        return ZIP
    if data[:2] == b"\x1f\x8b":
        return TAR_GZ
    raise ArchiveRefused(415, "unsupported_archive_format",
                         "not a zip or tar.gz archive (told by its first bytes, not its name)")


def safe_parts(name: str) -> tuple[str, ...]:
    """The path's components once checked: relative, inside, nothing a file system reads specially."""
    if "\x00" in name:
        raise ArchiveRefused(422, "unsafe_path", f"{name!r}: NUL in a name")
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise ArchiveRefused(422, "absolute_path", f"{name!r}: absolute paths, drives and backslashes are refused")
    parts = tuple(p for p in PurePosixPath(name).parts if p != ".")
    if ".." in parts:
        raise ArchiveRefused(422, "path_traversal", f"{name!r}: '..' leads out of the package")
    if not parts:
        raise ArchiveRefused(422, "unsafe_path", f"{name!r}: an empty name")
    if len(name.encode()) > _MAX_NAME_BYTES or max(len(p.encode()) for p in parts) > 255:
        raise ArchiveRefused(422, "unsafe_path", f"{name[:80]!r}...: a name over {_MAX_NAME_BYTES} bytes "
                             "(or a component over 255)")
    return parts


def extract_archive(data: bytes, destination: Path, limits: ArchiveLimits = ArchiveLimits()) -> list[str]:
    """Unpack `data` into `destination` (an empty directory of the caller's); the paths written.
    Nothing is left half-trusted: on any refusal the caller discards the directory."""
    if len(data) > limits.max_archive_bytes:
        raise ArchiveRefused(413, "archive_too_large", f"archive of {len(data)} bytes, over the "
                             f"{limits.max_archive_bytes} allowed")
    kind = archive_format(data)
    writer = _Writer(destination, limits)
    try:
        if kind == ZIP:
            _unzip(data, writer, limits)
        else:
            _untar(data, writer, limits)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        # RuntimeError: an encrypted zip member; NotImplementedError: a compression zipfile lacks
        raise ArchiveRefused(422, "corrupt_archive", f"the archive cannot be read: {error}") from None
    except OSError as error:  # gzip.BadGzipFile and the like (no disk error is the uploader's)
        if isinstance(error, (PermissionError, FileExistsError)) or error.errno is not None:
            raise
        raise ArchiveRefused(422, "corrupt_archive", f"the archive cannot be read: {error}") from None
    return writer.written


class _Writer:
    """Writes entries under `root`, refusing duplicates and counting every byte against the limit."""

    def __init__(self, root: Path, limits: ArchiveLimits):
        self.root, self.limits = root, limits
        self.kinds: dict[tuple[str, ...], str] = {}
        self.written: list[str] = []
        self.total = 0
        self.entries = 0

    def count_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise ArchiveRefused(413, "too_many_entries", f"more than {self.limits.max_entries} entries")

    def add(self, entry: _Entry, content: BinaryIO | None) -> None:
        self._claim(entry)
        path = self.root.joinpath(*entry.parts)
        for depth in range(1, len(entry.parts)):
            self._mkdir(self.root.joinpath(*entry.parts[:depth]))
        if entry.kind == "dir":
            self._mkdir(path)
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags, 0o755 if entry.executable else 0o644)
        with os.fdopen(fd, "wb") as out:
            while content is not None and (chunk := content.read(_CHUNK)):
                self.total += len(chunk)
                if self.total > self.limits.max_unpacked_bytes:
                    raise ArchiveRefused(413, "unpacked_too_large", f"unpacks to more than "
                                         f"{self.limits.max_unpacked_bytes} bytes")
                out.write(chunk)
        self.written.append("/".join(entry.parts))

    def _claim(self, entry: _Entry) -> None:
        """Each path once; its parents directories (implied or listed), never files."""
        for depth in range(1, len(entry.parts)):
            if self.kinds.setdefault(entry.parts[:depth], "implied") == "file":
                raise ArchiveRefused(422, "duplicate_entry", f"{entry.name!r}: "
                                     f"{'/'.join(entry.parts[:depth])} is a file and a directory")
        before = self.kinds.get(entry.parts)
        if before is not None and not (before == "implied" and entry.kind == "dir"):
            raise ArchiveRefused(422, "duplicate_entry", f"{entry.name!r}: in the archive twice")
        self.kinds[entry.parts] = entry.kind

    @staticmethod
    def _mkdir(path: Path) -> None:
        if not path.is_dir():
            path.mkdir(mode=0o755)


def _unzip(data: bytes, writer: _Writer, limits: ArchiveLimits) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
        if len(members) > limits.max_entries:  # the central directory is in the bytes we hold: real
            raise ArchiveRefused(413, "too_many_entries", f"{len(members)} entries, over the {limits.max_entries} allowed")
        for info in members:
            writer.count_entry()
            parts = safe_parts(info.filename)
            mode = info.external_attr >> 16  # the Unix mode, when a Unix zip wrote one
            file_type = stat.S_IFMT(mode)
            if file_type == stat.S_IFLNK:
                raise ArchiveRefused(422, "link_entry", f"{info.filename!r}: links are refused")
            if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise ArchiveRefused(422, "special_entry", f"{info.filename!r}: only files and directories")
            if info.is_dir():
                writer.add(_Entry(info.filename, parts, "dir"), None)
                continue
            with archive.open(info) as content:  # read in chunks: the declared size is not trusted
                writer.add(_Entry(info.filename, parts, "file", bool(mode & 0o111)), content)


class _Bounded(io.RawIOBase):
    """The decompressed tar stream, refused once longer than the limit allows (headers included)."""

    def __init__(self, stream: BinaryIO, limit: int):
        self.stream, self.limit, self.read_so_far = stream, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.stream.read(len(buffer))
        self.read_so_far += len(chunk)
        if self.read_so_far > self.limit:
            raise ArchiveRefused(413, "unpacked_too_large", f"unpacks to more than {self.limit} bytes")
        buffer[:len(chunk)] = chunk
        return len(chunk)


def _untar(data: bytes, writer: _Writer, limits: ArchiveLimits) -> None:
    import gzip

    limit = limits.max_unpacked_bytes + _TAR_HEADER_ALLOWANCE * (limits.max_entries + 1)
    stream = io.BufferedReader(_Bounded(gzip.GzipFile(fileobj=io.BytesIO(data)), limit), _CHUNK)
    with tarfile.open(fileobj=stream, mode="r|") as archive:  # a stream: one pass, nothing seeks back
        for info in _members(archive, writer):
            parts = safe_parts(info.name)
            if info.issym() or info.islnk():
                raise ArchiveRefused(422, "link_entry", f"{info.name!r}: links are refused")
            if info.isdir():
                writer.add(_Entry(info.name, parts, "dir"), None)
            elif info.isreg():
                writer.add(_Entry(info.name, parts, "file", bool(info.mode & 0o111)), archive.extractfile(info))
            else:
                raise ArchiveRefused(422, "special_entry", f"{info.name!r}: only files and directories")


def _members(archive: tarfile.TarFile, writer: _Writer) -> Iterator[tarfile.TarInfo]:
    while (info := archive.next()) is not None:
        writer.count_entry()
        yield info
