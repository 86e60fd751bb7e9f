"""Deterministic zip archives: the same files give the same bytes, whoever builds them and when.

Entries are sorted, carry a fixed timestamp, normalised permissions (0644, or 0755 when executable)
and no directory entries; symlinks are stored as symlinks (Lambda layers keep them). Used for the
function zips (tools/package_functions.py) and the toolchain layers (layers/).

    python tools/detzip.py SOURCE_DIR OUT.zip     # zip a directory tree, relative to SOURCE_DIR
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
EXCLUDED_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
EXCLUDED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class Entry:
    """One file of the archive: its bytes, whether it is executable, or a symlink target."""

    data: bytes = b""
    executable: bool = False
    symlink: str | None = None

    @classmethod
    def from_path(cls, path: Path) -> Entry:
        if path.is_symlink():
            return cls(symlink=os.readlink(path))
        return cls(data=path.read_bytes(), executable=bool(path.stat().st_mode & stat.S_IXUSR))


def excluded(rel: Path) -> bool:
    return any(part in EXCLUDED_DIRS for part in rel.parts) or rel.name.endswith(EXCLUDED_SUFFIXES)


def tree_entries(root: Path, prefix: str = "") -> dict[str, Entry]:
    """Every file under root (symlinks kept, not followed) as archive name → Entry."""
    entries: dict[str, Entry] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in EXCLUDED_DIRS and not (Path(dirpath) / d).is_symlink()]
        names = filenames + [
            d
            for d in os.listdir(dirpath)
            if (Path(dirpath) / d).is_symlink() and (Path(dirpath) / d).is_dir()
        ]
        for name in names:
            path = Path(dirpath) / name
            rel = path.relative_to(root)
            if not excluded(rel):
                entries[prefix + rel.as_posix()] = Entry.from_path(path)
    return entries


def write_zip(out: Path, entries: Mapping[str, Entry]) -> str:
    """Write entries to out (atomically) and return the archive's sha256."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(entries):
            entry = entries[name]
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.create_system = 3  # unix, so that external_attr carries the mode
            if entry.symlink is not None:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, entry.symlink)
            else:
                info.external_attr = (stat.S_IFREG | (0o755 if entry.executable else 0o644)) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, entry.data, compresslevel=9)
    os.replace(tmp, out)
    return sha256_file(out)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unzipped_size(path: Path) -> int:
    """Bytes the archive takes once extracted (what Lambda's 250 MB limit counts)."""
    with zipfile.ZipFile(path) as zf:
        return sum(info.file_size for info in zf.infolist())


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, out = Path(argv[0]), Path(argv[1])
    print(f"{write_zip(out, tree_entries(source))}  {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
