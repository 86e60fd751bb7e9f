#!/usr/bin/env python3
"""Input validator for Pair Sum. Exit 42 if valid (format, bounds, a pair exists), 43 if not."""

import re
import sys

INT = r"(0|-?[1-9][0-9]*)"


def main() -> int:
    data = sys.stdin.read()
    m = re.fullmatch(rf"([1-9][0-9]*) {INT}\n({INT}( {INT})*)\n", data)
    if not m:
        return 43
    n, t = int(m.group(1)), int(m.group(2))
    a = list(map(int, m.group(3).split(" ")))
    if not (2 <= n <= 10**5 and len(a) == n and abs(t) <= 2 * 10**9 and all(abs(x) <= 10**9 for x in a)):
        return 43
    seen: set[int] = set()
    for x in a:
        if t - x in seen:
            return 42
        seen.add(x)
    return 43


if __name__ == "__main__":
    sys.exit(main())
