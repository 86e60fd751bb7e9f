# Uses no CPU at all: only the wall-clock limit can stop it.
import time

a, b = map(int, input().split())
time.sleep(60)
print(a + b)
