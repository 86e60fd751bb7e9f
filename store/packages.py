"""Problem packages: a deterministic tar.gz of the package folder, kept in S3 by content hash.

Deterministic (sorted entries, zeroed times and owners, normalised modes, gzip without a timestamp)
so the same package always hashes the same, re-imports store nothing new, and worker caches keyed by
the hash stay valid. `submissions/` is left out: workers need limits, test data and validators, not
the problem setter's reference solutions.

Where the archive lives: `packages/<sha256>.tar.gz` in the package bucket, written once
(`PackageBucket.put`), with the database as the index (`package_objects`: sha256 → key, size;
`problems.package_sha256`: which archive is a problem's current one). Packages imported before that
are chunks in `problem_packages` (`store_package`/`fetch_package`), still read as a fallback until
`judge-admin move-packages` copies them to the bucket.

Only the standard library, a DB-API cursor and an S3 client handed in are used here (and the
contracts' reading of S3 errors). Fetching and
unpacking are the worker's (`pipeline.problem_cache`: checked against the hash, atomically renamed
into place).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path

from contracts.errors import s3_object_absent

PACKAGE_PREFIX = "packages/"  # the workers' IAM policy reads <bucket>/packages/* (terraform/main.tf)
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


# ---- packages in S3, indexed by the database -------------------------------------------------------


@dataclass(frozen=True)
class PackageRef:
    """Where a problem's current package is: an object in the package bucket, or (`object_key` None)
    chunks in `problem_packages`, for packages imported before they moved to S3."""

    sha256: str
    object_key: str | None = None
    size_bytes: int | None = None


def package_key(sha256: str) -> str:
    return f"{PACKAGE_PREFIX}{sha256}.tar.gz"


@dataclass(frozen=True)
class PackageBucket:
    """The bucket the archives go to (the submissions bucket in the Terraform deployment)."""

    s3: object
    bucket: str

    def put(self, data: bytes) -> tuple[PackageRef, bool]:
        """Write the archive under its hash unless it is there already; True when it was written.

        An object already at the key with the right size and sha256 metadata is kept as it is (the key
        names the content, so it can only be this archive); anything else there is overwritten.
        """
        sha = hashlib.sha256(data).hexdigest()
        ref = PackageRef(sha, package_key(sha), len(data))
        if self._holds(ref):
            return ref, False
        # No ServerSideEncryption here: the bucket's default (SSE-S3, or its KMS key) applies.
        self.s3.put_object(Bucket=self.bucket, Key=ref.object_key, Body=data, ContentType="application/gzip",
                           Metadata={"sha256": sha})
        return ref, True

    def _holds(self, ref: PackageRef) -> bool:
        from botocore.exceptions import ClientError

        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=ref.object_key)
        except ClientError as error:
            # Absent, or not ours to see: either way, put it. A real denial shows up as the put's own.
            if s3_object_absent(error):
                return False
            raise
        return head.get("ContentLength") == ref.size_bytes and head.get("Metadata", {}).get("sha256") == ref.sha256


def record_package_object(cur, ref: PackageRef) -> None:
    """Index an archive written to the bucket (after the write: the index never names a missing key)."""
    cur.execute("INSERT INTO package_objects (sha256, object_key, size_bytes) VALUES (%s, %s, %s)"
                " ON DUPLICATE KEY UPDATE object_key = VALUES(object_key), size_bytes = VALUES(size_bytes)",
                (ref.sha256, ref.object_key, ref.size_bytes))


def problem_package_ref(cur, problem_id: str) -> PackageRef | None:
    """The problem's current package, in one query; None when there is no such problem."""
    cur.execute("SELECT p.package_sha256 AS sha256, o.object_key, o.size_bytes FROM problems p"
                " LEFT JOIN package_objects o ON o.sha256 = p.package_sha256 WHERE p.id = %s", (problem_id,))
    row = cur.fetchone()
    if row is None:
        return None
    size = row["size_bytes"]
    return PackageRef(row["sha256"], row["object_key"], None if size is None else int(size))


def packages_only_in_the_database(cur) -> list[str]:
    """Hashes of archives stored as chunks and not (yet) in the bucket."""
    cur.execute("SELECT DISTINCT c.sha256 FROM problem_packages c LEFT JOIN package_objects o ON o.sha256 = c.sha256"
                " WHERE o.sha256 IS NULL ORDER BY c.sha256")
    return [r["sha256"] if isinstance(r, dict) else r[0] for r in cur.fetchall()]


def delete_indexed_package_chunks(cur) -> int:
    """Drop the chunks of every archive indexed in the bucket (never any other); the number dropped."""
    cur.execute("DELETE c FROM problem_packages c JOIN package_objects o ON o.sha256 = c.sha256")
    return cur.rowcount


# ---- what of a package is public ---------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    name: str  # the path under data/sample without its extension ("1", "edge/2")
    input: bytes
    answer: bytes | None  # None: the sample has no .ans (an interactive problem's, say)
    truncated: bool  # input or answer cut at the cap


def package_samples(data: bytes, max_bytes: int = 64 * 1024) -> list[Sample]:
    """The archive's `data/sample/**.in` with their `.ans`, in name order, each cut at `max_bytes`
    (samples are public: everything else in the package is not read)."""
    samples = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        files = {m.name: m for m in tar.getmembers() if m.isfile() and m.name.startswith("data/sample/")}

        def read(name: str) -> tuple[bytes | None, bool]:
            member = files.get(name)
            if member is None:
                return None, False
            handle = tar.extractfile(member)
            return handle.read(max_bytes), member.size > max_bytes

        for name in sorted(n for n in files if n.endswith(".in")):
            stem = name[:-len(".in")]
            given, cut_in = read(name)
            answer, cut_ans = read(stem + ".ans")
            samples.append(Sample(stem[len("data/sample/"):], given or b"", answer, cut_in or cut_ans))
    return samples


def fetch_package_object(s3, bucket: str, ref: PackageRef) -> bytes:
    """The archive at `ref.object_key` in the package bucket, checked against its hash."""
    data = s3.get_object(Bucket=bucket, Key=ref.object_key)["Body"].read()
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise PackageError(f"package object {ref.object_key} does not have the hash {ref.sha256}")
    return data
