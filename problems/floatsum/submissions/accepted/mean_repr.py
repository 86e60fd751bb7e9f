# Python's shortest round-trip repr: "2.3333333333333335", "1.5e-06", "999999999.6666666".
import math
import sys

data = sys.stdin.read().split()
n = int(data[0])
print(math.fsum(map(float, data[1 : n + 1])) / n)
