#!/usr/bin/env python3
"""Write the test data for Guess the Number. Deterministic (fixed seed).

Each .in holds the secret number (read by the interactor only); each .ans holds the same number
(the format requires an .ans file; it is for humans). The sample also has a .interaction file.
"""

import random
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
MAX = 10**9
LIMIT = 30


def interaction(secret: int) -> str:
    """Transcript of the reference binary search: '>' lines are the submission, '<' the judge."""
    lines, lo, hi = [], 1, MAX
    while True:
        g = (lo + hi) // 2
        lines.append(f"> {g}")
        if g == secret:
            lines.append("< correct")
            return "\n".join(lines) + "\n"
        if secret < g:
            lines.append("< lower")
            hi = g - 1
        else:
            lines.append("< higher")
            lo = g + 1


def write(path: Path, secret: int) -> None:
    assert 1 <= secret <= MAX
    path.with_suffix(".in").write_text(f"{secret}\n")
    path.with_suffix(".ans").write_text(f"{secret}\n")


def main() -> None:
    rng = random.Random(99)
    (DATA / "sample").mkdir(parents=True, exist_ok=True)
    (DATA / "secret").mkdir(parents=True, exist_ok=True)
    write(DATA / "sample" / "1", 750000000)
    (DATA / "sample" / "1.interaction").write_text(interaction(750000000))
    secrets = {
        "01-one": 1,
        "02-max": MAX,
        "03-middle": 500000000,
        "04-power-of-two": 1 << 29,
        "05-random": rng.randint(1, MAX),
        "06-random": rng.randint(1, MAX),
    }
    for name, secret in secrets.items():
        # binary search needs at most floor(log2(MAX)) + 1 = 30 guesses
        assert interaction(secret).count(">") <= LIMIT
        write(DATA / "secret" / name, secret)


if __name__ == "__main__":
    main()
