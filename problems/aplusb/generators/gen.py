#!/usr/bin/env python3
"""Write data/secret/*.in and *.ans for A plus B. Deterministic: same files on every run.

Usage: python3 generators/gen.py   (from anywhere; paths are relative to this file)
"""

import random
from pathlib import Path

LIMIT = 10**18
SECRET = Path(__file__).resolve().parent.parent / "data" / "secret"


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


def main() -> None:
    SECRET.mkdir(parents=True, exist_ok=True)
    for name, a, b in cases():
        assert -LIMIT <= a <= LIMIT and -LIMIT <= b <= LIMIT
        (SECRET / f"{name}.in").write_text(f"{a} {b}\n")
        (SECRET / f"{name}.ans").write_text(f"{a + b}\n")


if __name__ == "__main__":
    main()
