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


# Pass k gets k; the answer to k is 2k. Until k reaches the .ans number, another pass is asked for.
# The feedback directory carries a count that proves it is the same directory every pass.
DOUBLING_VALIDATOR = """
import os, sys
k = int(open(sys.argv[1]).read())
last = int(open(sys.argv[2]).read())
feedback = sys.argv[3]
seen_path = os.path.join(feedback, "seen")
seen = int(open(seen_path).read()) if os.path.exists(seen_path) else 0
if seen != k - 1:
    open(feedback + "judgemessage.txt", "w").write(f"feedback directory lost: seen {seen} before pass {k}")
    sys.exit(43)
open(seen_path, "w").write(str(k))
if sys.stdin.read().split() != [str(2 * k)]:
    open(feedback + "judgemessage.txt", "w").write(f"wrong answer to {k}")
    sys.exit(43)
if k < last:
    open(feedback + "nextpass.in", "w").write(f"{k + 1}\\n")
sys.exit(42)
"""


def doubling_package(root: Path, passes: int, last: int = 3) -> Path:
    """A multi-pass problem (DOMjudge's spelling): pass k asks for 2k; the validator asks for passes
    up to `last` (the .ans), with `passes` allowed."""
    return write_package(root, {
        "problem.yaml": f"name: doubling\nvalidation: custom multi-pass\nlimits:\n  time_limit: 2\n"
                        f"  validation_passes: {passes}\n",
        "data/secret/1.in": "1\n", "data/secret/1.ans": f"{last}\n",
        "output_validators/v/v.py": DOUBLING_VALIDATOR,
    })
