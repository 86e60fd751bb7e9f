"""Write small problem packages into a temporary directory for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_package(root: Path, files: dict[str, str | bytes]) -> Path:
    """`files` maps paths inside the package to contents (str is dedented)."""
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"))
    return root


def cases(prefix: str, names: list[str], interactive: bool = False) -> dict[str, str]:
    """An .in/.ans pair per name under data/<prefix>/."""
    files: dict[str, str] = {}
    for name in names:
        files[f"data/{prefix}/{name}.in"] = f"{name}\n"
        if not interactive:
            files[f"data/{prefix}/{name}.ans"] = f"{name}\n"
    return files
