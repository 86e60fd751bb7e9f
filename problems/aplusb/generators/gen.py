#!/usr/bin/env python3
"""Write data/sample and data/secret (*.in, *.ans) for A plus B. Deterministic: same files on every run.

Usage: python3 generators/gen.py   (from anywhere; paths are relative to this file)
"""

import random
from pathlib import Path

LIMIT = 10**18
DATA = Path(__file__).resolve().parent.parent / "data"


def cases() -> list[tuple[str, int, int]]:
    rng = random.Random(20240601)
    return [
        ("01-small", 3, 4),
        ("02-negatives", -5, -7),
        ("03-zeros", 0, 0),
        ("04-int32-overflow", 2147483647, 1),  # kills 32-bit sums
        ("05-mixed-sign-large", LIMIT, -1),
        ("06-max", LIMIT, LIMIT),
        ("07-min", -LIMIT, -LIMIT),
        ("08-random-large", rng.randint(-LIMIT, LIMIT), rng.randint(-LIMIT, LIMIT)),
    ]


def write(path: Path, a: int, b: int) -> None:
    assert -LIMIT <= a <= LIMIT and -LIMIT <= b <= LIMIT
    path.with_suffix(".in").write_text(f"{a} {b}\n")
    path.with_suffix(".ans").write_text(f"{a + b}\n")


def main() -> None:
    for group in ("sample", "secret"):
        (DATA / group).mkdir(parents=True, exist_ok=True)
    write(DATA / "sample" / "1", 1, 2)
    for name, a, b in cases():
        write(DATA / "secret" / name, a, b)


if __name__ == "__main__":
    main()
