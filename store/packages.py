"""Problem packages in the database: a deterministic tar.gz of the package folder, in chunks.

Deterministic (sorted entries, zeroed times and owners, normalised modes, gzip without a timestamp)
so the same package always hashes the same, re-imports store nothing new, and worker caches keyed by
the hash stay valid. `submissions/` is left out: workers need limits, test data and validators, not
the problem setter's reference solutions.

Only the standard library and a DB-API cursor are used here. Unpacking is the worker's
(`pipeline.problem_cache`: checked against the hash, atomically renamed into place).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path

MAX_CHUNK = 4 * 1024 * 1024  # well under max_allowed_packet (16 MiB MariaDB, 64 MiB RDS MySQL 8)
EXCLUDED_TOP = {"submissions"}
EXCLUDED_ANY = {"__pycache__", ".git", ".DS_Store"}


class PackageError(RuntimeError):
    pass


def _members(root: Path) -> list[tuple[str, Path]]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_ANY
                             and not (rel_dir == Path(".") and d in EXCLUDED_TOP))
        for name in dirnames + sorted(f for f in filenames if f not in EXCLUDED_ANY):
            out.append(((rel_dir / name).as_posix(), Path(dirpath) / name))
    return sorted(out)


def pack_package(package_dir: str | os.PathLike) -> bytes:
    root = Path(package_dir).resolve()
    if not root.is_dir():
        raise PackageError(f"{package_dir}: not a directory")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for arcname, path in _members(root):
            real = path.resolve()
            # Symlinks are stored as what they point to, and only inside the package: an import
            # must not pull in files from elsewhere on the setter's machine.
            if real != root and root not in real.parents:
                raise PackageError(f"{arcname}: symlink leads outside the package ({real})")
            info = tarfile.TarInfo(arcname)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if real.is_dir() and path.is_symlink():
                # Kept as a relative link (the 2023-07 `output_validator` -> `output_validators/x`
                # layout); its target is packed on its own, and unpacking refuses escaping links.
                info.type = tarfile.SYMTYPE
                info.linkname = os.path.relpath(real, path.parent.resolve())
                info.mode = 0o777
                tar.addfile(info)
            elif real.is_dir():
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif real.is_file():
                info.size = real.stat().st_size
                info.mode = 0o755 if os.access(real, os.X_OK) else 0o644
                with open(real, "rb") as fh:
                    tar.addfile(info, fh)
            else:
                raise PackageError(f"{arcname}: not a regular file or directory")
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def store_package(cur, data: bytes, *, chunk_size: int = MAX_CHUNK) -> str:
    """Store the archive under its sha256 (once: an existing hash is left as it is)."""
    if not 0 < chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk_size must be in 1..{MAX_CHUNK}")
    sha = hashlib.sha256(data).hexdigest()
    cur.execute("SELECT COUNT(*) AS n FROM problem_packages WHERE sha256 = %s", (sha,))
    row = cur.fetchone()
    if (row["n"] if isinstance(row, dict) else row[0]) == 0:
        for seq, start in enumerate(range(0, max(len(data), 1), chunk_size)):
            cur.execute("INSERT INTO problem_packages (sha256, seq, chunk) VALUES (%s, %s, %s)",
                        (sha, seq, data[start:start + chunk_size]))
    return sha


def fetch_package(cur, sha256: str) -> bytes:
    """Reassemble the archive and check it is the one asked for (a missing chunk would not be)."""
    cur.execute("SELECT seq, chunk FROM problem_packages WHERE sha256 = %s ORDER BY seq", (sha256,))
    rows = [(r["seq"], r["chunk"]) if isinstance(r, dict) else (r[0], r[1]) for r in cur.fetchall()]
    if not rows:
        raise PackageError(f"package {sha256} not found")
    if [seq for seq, _ in rows] != list(range(len(rows))):
        raise PackageError(f"package {sha256}: chunks are not contiguous")
    data = b"".join(bytes(chunk) for _, chunk in rows)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise PackageError(f"package {sha256}: reassembled data has another hash")
    return data
