# Guesses 1, 2, 3, ...: the interactor rejects the 31st guess and closes the pipe; this program
# then sees end of input and exits normally, so the verdict is the interactor's (wrong answer).
import sys

g = 1
while True:
    print(g, flush=True)
    reply = sys.stdin.readline().strip()
    if reply in ("correct", ""):
        break
    g += 1
