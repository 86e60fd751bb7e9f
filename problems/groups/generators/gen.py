#!/usr/bin/env python3
"""Write the test data for Divisible Substrings. Deterministic (fixed seed).

Also asserts the properties the example submissions rely on:
- every group3 answer exceeds 2^32 (a 32-bit counter is wrong there, right in groups 1-2);
- the first test of the sample and of every group has a wrong answer for the wrong_answer
  submissions (they skip single digits / use mod 9), so they score 0.
"""

import random
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


def count(s: str, mod: int = 3, singles: bool = True) -> int:
    seen = [0] * mod
    seen[0] = 1
    prefix = total = 0
    for ch in s:
        prefix = (prefix + int(ch)) % mod
        total += seen[prefix]
        seen[prefix] += 1
    if not singles:
        total -= sum(1 for ch in s if int(ch) % mod == 0)
    return total


def write(path: Path, s: str) -> int:
    assert 1 <= len(s) <= 200000 and s.isdigit()
    answer = count(s)
    path.with_suffix(".in").write_text(f"{len(s)}\n{s}\n")
    path.with_suffix(".ans").write_text(f"{answer}\n")
    return answer


def digits(rng: random.Random, n: int, alphabet: str = "0123456789") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def wrong_everywhere(s: str) -> bool:
    return count(s) != count(s, singles=False) and count(s) != count(s, mod=9)


def main() -> None:
    rng = random.Random(31337)
    groups = {
        "sample": {"1": "1230", "2": "369"},
        "secret/group1": {"01-tiny": "3", "02-mixed": "1234567890", "03-no-multiples": "1111111111"},
        "secret/group2": {"01-random": digits(rng, 1000), "02-threes": "3" * 997,
                          "03-ones-and-twos": digits(rng, 1000, "12")},
        "secret/group3": {"01-random": digits(rng, 200000), "02-zeros-and-nines": digits(rng, 150000, "09")},
    }
    for group, tests in groups.items():
        folder = DATA / group
        folder.mkdir(parents=True, exist_ok=True)
        first = next(iter(tests.values()))
        assert wrong_everywhere(first), group
        for name, s in tests.items():
            answer = write(folder / name, s)
            if group == "secret/group3":
                assert answer >= 1 << 32, (name, answer)


if __name__ == "__main__":
    main()
