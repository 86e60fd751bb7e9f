"""Zip extraction that keeps what Lambda keeps: Unix modes (a layer's gcc must stay executable) and
symlinks (toolchain layers are full of them). Python's zipfile.extractall drops both."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path


def extract_zip(archive: str | os.PathLike, target: Path) -> None:
    """Extract into ``target`` atomically: a half-extracted directory never appears under its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        root = staging.resolve()
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                destination = (staging / info.filename).resolve()
                if destination != root and root not in destination.parents:
                    raise ValueError(f"zip entry escapes the target directory: {info.filename}")
                mode = info.external_attr >> 16
                if info.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                if stat.S_ISLNK(mode):
                    os.symlink(zf.read(info).decode("utf-8"), destination)
                    continue
                with zf.open(info) as src, open(destination, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                # Zips made on Windows carry no mode: Lambda then uses 644 (755 if executable-looking).
                os.chmod(destination, stat.S_IMODE(mode) or 0o644)
        os.chmod(staging, 0o755)  # mkdtemp's 0700 would hide the code from the function's uid
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def merge_tree_linked(source: Path, target: Path) -> None:
    """Overlay ``source`` onto ``target`` with hard links (copies across filesystems).

    Layers are merged like /opt in Lambda, later layers winning; linking keeps a multi-hundred-MB
    toolchain layer shared by every function that uses it instead of copied into each.
    """
    for directory, dirnames, filenames in os.walk(source):
        relative = Path(directory).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in dirnames + filenames:
            src = Path(directory) / name
            dst = target / relative / name
            if src.is_symlink():
                if dst.is_symlink() or dst.is_file():
                    dst.unlink()
                elif dst.is_dir():
                    shutil.rmtree(dst)
                os.symlink(os.readlink(src), dst)
            elif src.is_file():
                if dst.is_symlink() or dst.exists():
                    dst.unlink()
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copy2(src, dst)
        # os.walk does not descend into symlinked directories; they were recreated above.
        dirnames[:] = [d for d in dirnames if not (Path(directory) / d).is_symlink()]
