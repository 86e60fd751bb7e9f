# Forgets to flush: the guesses go into a 64 KiB buffer that is never flushed (what print() to a
# pipe does by default), so the interactor waits for a guess while this program waits for the
# reply. Deadlock: only the wall-clock limit ends it. The explicit buffered writer keeps that true
# even if the judge ran Python with PYTHONUNBUFFERED or -u.
import io
import sys

out = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False), 1 << 16))
lo, hi = 1, 10**9
while True:
    mid = (lo + hi) // 2
    print(mid, file=out)
    reply = sys.stdin.readline().strip()
    if reply == "correct":
        break
    if reply == "lower":
        hi = mid - 1
    else:
        lo = mid + 1
