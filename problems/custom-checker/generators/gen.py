#!/usr/bin/env python3
"""Write data/sample and data/secret for Pair Sum. Deterministic (fixed seed).

Each .ans holds one valid pair (the judge's); the output validator accepts any valid pair.
Several tests have many valid pairs, and the sample has an element with 2*a_i = t but no second
copy, so "the same index twice" is rejected on the sample.
"""

import random
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
A_MAX = 10**9


def some_pair(t: int, a: list[int]) -> tuple[int, int]:
    seen: dict[int, int] = {}
    for j, x in enumerate(a, 1):
        if t - x in seen:
            return seen[t - x], j
        seen.setdefault(x, j)
    raise ValueError("no valid pair")


def count_pairs(t: int, a: list[int]) -> int:
    counts: dict[int, int] = {}
    total = 0
    for x in a:
        total += counts.get(t - x, 0)
        counts[x] = counts.get(x, 0) + 1
    return total


def write(path: Path, t: int, a: list[int]) -> None:
    assert 2 <= len(a) <= 10**5 and abs(t) <= 2 * A_MAX and all(abs(x) <= A_MAX for x in a)
    i, j = some_pair(t, a)
    path.with_suffix(".in").write_text(f"{len(a)} {t}\n{' '.join(map(str, a))}\n")
    path.with_suffix(".ans").write_text(f"{i} {j}\n")


def random_case(rng: random.Random, n: int, bound: int, pairs: int) -> tuple[int, list[int]]:
    """n values in [-bound, bound] with at least `pairs` planted pairs summing to t."""
    t = rng.randint(-bound, bound)
    a = [rng.randint(-bound, bound) for _ in range(n)]
    for _ in range(pairs):
        i, j = rng.sample(range(n), 2)
        x = rng.randint(max(-bound, t - bound), min(bound, t + bound))
        a[i], a[j] = x, t - x
    return t, a


def main() -> None:
    rng = random.Random(4242)
    (DATA / "sample").mkdir(parents=True, exist_ok=True)
    (DATA / "secret").mkdir(parents=True, exist_ok=True)

    # 2*5 = 10 but 5 occurs once; valid pairs: (2,3) 3+7 and (4,5) 9+1. "1 2" is wrong.
    write(DATA / "sample" / "1", 10, [5, 3, 7, 9, 1])

    cases = {
        "01-two": (0, [-7, 7]),
        "02-duplicates": (8, [4] * 6),  # every pair is valid
        "03-negative": (-15, [-20, 3, 5, -18, 11, -1, 0]),
        "04-only-last": (2 * A_MAX, [1] * 8 + [A_MAX, A_MAX]),
        "05-extremes": (-2 * A_MAX, [-A_MAX, A_MAX, 0, -A_MAX]),
        "06-random": random_case(rng, 1000, 1000, 5),
        "07-random-large": random_case(rng, 5000, A_MAX, 3),
    }
    for name, (t, a) in cases.items():
        assert count_pairs(t, a) >= 1
        write(DATA / "secret" / name, t, a)


if __name__ == "__main__":
    main()
