# @EXPECTED_SCORE@: 50
# O(n^2): fine for n <= 1000 (groups 1 and 2), hopeless for n = 200000 (group 3 times out).
n = int(input())
s = [int(c) for c in input().strip()]
total = 0
for l in range(n):
    acc = 0
    for r in range(l, n):
        acc += s[r]
        if acc % 3 == 0:
            total += 1
print(total)
