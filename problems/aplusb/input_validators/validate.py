#!/usr/bin/env python3
"""Input validator: exactly one line "a b" with |a|, |b| <= 10^18. Exit 42 if valid, 43 if not."""

import re
import sys

LIMIT = 10**18
INT = r"(0|-?[1-9][0-9]{0,18})"


def main() -> int:
    data = sys.stdin.read()
    m = re.fullmatch(rf"{INT} {INT}\n", data)
    if not m or any(abs(int(g)) > LIMIT for g in m.groups()):
        print("expected one line with two integers in [-1e18, 1e18]", file=sys.stderr)
        return 43
    return 42


if __name__ == "__main__":
    sys.exit(main())
