"""The built layer zips, extracted as Lambda does (modes and symlinks kept), once per session."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "build" / "layers"


def extract(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            mode = info.external_attr >> 16
            path = target / info.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                os.symlink(zf.read(info).decode(), path)
            elif not info.is_dir():
                with zf.open(info) as src, open(path, "wb") as dst:
                    while block := src.read(1 << 20):
                        dst.write(block)
                os.chmod(path, stat.S_IMODE(mode) or 0o644)


@pytest.fixture(scope="session")
def layer_root(tmp_path_factory) -> Path:
    """A layer root (what /opt is in Lambda) with gcc/ and jdk/ from build/layers, at a path that is
    not /opt: the layers must work wherever they are extracted. gcc_pch merges into gcc/, as in the
    C++ sandbox."""
    root = tmp_path_factory.mktemp("opt")
    for name in ("gcc", "gcc_pch", "jdk"):
        built = BUILT / f"{name}.zip"
        assert built.is_file(), f"{built} is not built: make layers (make test builds it first)"
        extract(built, root)
    return root
