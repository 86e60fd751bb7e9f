import sys

a, b = map(int, input().split())
print(a + b)  # the right answer, but a non-zero exit code is a run-time error
sys.exit(1)
