#!/usr/bin/env python3
"""Input validator for Mean Value: n in [1, 1000], then n decimals with |x| <= 1e9. Exit 42 if valid."""

import re
import sys
from fractions import Fraction

NUM = re.compile(r"-?(0|[1-9][0-9]{0,9})(\.[0-9]{1,6})?")


def main() -> int:
    lines = sys.stdin.read().split("\n")
    if len(lines) != 3 or lines[2] != "" or not re.fullmatch(r"[1-9][0-9]{0,3}", lines[0]):
        return 43
    n = int(lines[0])
    tokens = lines[1].split(" ")
    if not 1 <= n <= 1000 or len(tokens) != n:
        return 43
    for tok in tokens:
        if not NUM.fullmatch(tok) or abs(Fraction(tok)) > 10**9:
            return 43
    return 42


if __name__ == "__main__":
    sys.exit(main())
