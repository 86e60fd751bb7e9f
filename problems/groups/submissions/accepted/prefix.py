# @EXPECTED_SCORE@: 100
import sys

n = int(sys.stdin.readline())
s = sys.stdin.readline().strip()
seen = [1, 0, 0]
prefix = total = 0
for ch in s:
    prefix = (prefix + ord(ch) - 48) % 3
    total += seen[prefix]
    seen[prefix] += 1
print(total)
