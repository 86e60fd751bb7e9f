import sys

a, b = map(int, input().split())
line = (str(a + b) + "\n") * 4096
while True:
    sys.stdout.write(line)
