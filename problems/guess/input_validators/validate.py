#!/usr/bin/env python3
"""Input validator for Guess the Number: one integer in [1, 1e9]. Exit 42 if valid, 43 if not."""

import re
import sys


def main() -> int:
    m = re.fullmatch(r"([1-9][0-9]{0,9})\n", sys.stdin.read())
    return 42 if m and 1 <= int(m.group(1)) <= 10**9 else 43


if __name__ == "__main__":
    sys.exit(main())
