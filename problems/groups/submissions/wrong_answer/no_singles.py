# @EXPECTED_SCORE@: 0
# Only counts substrings of length >= 2: wrong on the first test of every group.
n = int(input())
s = input().strip()
seen = [1, 0, 0]
prefix = total = 0
for ch in s:
    prefix = (prefix + int(ch)) % 3
    total += seen[prefix]
    seen[prefix] += 1
print(total - sum(1 for ch in s if ch in "0369"))
