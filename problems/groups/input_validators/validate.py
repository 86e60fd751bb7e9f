#!/usr/bin/env python3
"""Input validator for Divisible Substrings: n in [1, 200000], then exactly n digits.

Group limits are passed as flags in the legacy style if wanted (`max_n=10`); without flags the
global limit applies. Exit 42 if valid, 43 if not.
"""

import re
import sys


def main() -> int:
    max_n = 200000
    for arg in sys.argv[1:]:
        if arg.startswith("max_n="):
            max_n = int(arg.split("=", 1)[1])
    m = re.fullmatch(r"([1-9][0-9]*)\n([0-9]+)\n", sys.stdin.read())
    if not m:
        return 43
    n = int(m.group(1))
    return 42 if 1 <= n <= max_n and len(m.group(2)) == n else 43


if __name__ == "__main__":
    sys.exit(main())
