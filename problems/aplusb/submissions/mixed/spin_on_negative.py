# @EXPECTED_RESULTS@: TIMELIMIT, WRONG-ANSWER
# Correct for small non-negative input; spins forever on a negative a and wraps at 32 bits.
# Pass-fail judging stops at the first failing test (02-negatives: time limit); running
# every test also shows wrong answers (04-int32-overflow), so both verdicts are acceptable.
a, b = map(int, input().split())
while a < 0:
    pass
s = (a + b) & 0xFFFFFFFF
print(s - (1 << 32) if s >= 1 << 31 else s)
