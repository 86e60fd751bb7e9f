#!/usr/bin/env python3
"""Write data/sample and data/secret for Mean Value. Deterministic (fixed seed).

Answers are the exact mean (fractions.Fraction) rounded to 15 decimals. The generator also
asserts that the sample already rejects the wrong_answer submissions' behaviours (truncation to
an integer, 3 decimals), so those are judged WRONG_ANSWER on the first test.
"""

import math
import random
from fractions import Fraction
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
TOL = Fraction(1, 10**6)
LIMIT = 10**9


def fixed(x: Fraction, digits: int) -> str:
    """x rounded half-to-even to `digits` decimals, exactly (no float on the way)."""
    scaled = round(x * 10**digits)
    sign = "-" if scaled < 0 else ""
    whole, frac = divmod(abs(scaled), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def fmt(x: Fraction) -> str:
    text = fixed(x, 6)  # inputs have at most 6 decimals: exact
    return text.rstrip("0").rstrip(".")


def rand_values(rng: random.Random, n: int, bound: int) -> list[Fraction]:
    return [Fraction(rng.randint(-bound * 10**6, bound * 10**6), 10**6) for _ in range(n)]


def within(got: Fraction, want: Fraction) -> bool:
    err = abs(got - want)
    return err <= TOL or err <= TOL * abs(want)


def write(path: Path, values: list[Fraction]) -> Fraction:
    assert 1 <= len(values) <= 1000 and all(abs(v) <= LIMIT for v in values)
    mean = sum(values, Fraction(0)) / len(values)
    path.with_suffix(".in").write_text(f"{len(values)}\n{' '.join(fmt(v) for v in values)}\n")
    path.with_suffix(".ans").write_text(fixed(mean, 15) + "\n")
    return mean


def main() -> None:
    rng = random.Random(7031)
    (DATA / "sample").mkdir(parents=True, exist_ok=True)
    (DATA / "secret").mkdir(parents=True, exist_ok=True)

    mean = write(DATA / "sample" / "1", [Fraction(1), Fraction(2), Fraction(4)])
    # The sample must reject: integer truncation, 3-decimal rounding.
    assert not within(Fraction(math.trunc(mean)), mean)
    assert not within(Fraction(round(float(mean), 3)).limit_denominator(10**3), mean)

    secret = {
        "01-single": [Fraction(7, 2)],
        "02-negative": [Fraction(-123456, 10**6), Fraction(-2), Fraction(1, 10**6)],
        "03-sevenths": [Fraction(k) for k in (1, 0, 0, 0, 0, 0, 0)],
        "04-random-small": rand_values(rng, 1000, 1000),
        "05-tiny": [Fraction(1, 10**6), Fraction(2, 10**6)],  # 1.5e-6: absolute tolerance
        "06-huge": [Fraction(LIMIT), Fraction(LIMIT - 1, 1), Fraction(LIMIT, 1) - Fraction(1, 10**6)],
        "07-random-large": rand_values(rng, 777, LIMIT),
        "08-cancel": [Fraction(LIMIT), Fraction(-LIMIT), Fraction(123, 1000)] * 3,
    }
    for name, values in secret.items():
        write(DATA / "secret" / name, values)


if __name__ == "__main__":
    main()
