# Scans from the right: finds the pair whose left element is last; prints the larger index first.
import sys

data = sys.stdin.buffer.read().split()
n, t = int(data[0]), int(data[1])
a = list(map(int, data[2 : 2 + n]))
later: dict[int, int] = {}
for i in range(n - 1, -1, -1):
    j = later.get(t - a[i])
    if j is not None:
        print(j + 1, i + 1)
        break
    later.setdefault(a[i], i)
