# A syntax error: py_compile fails at the compile step, so the judge says COMPILATION_ERROR.
a, b = map(int, input().split()
print(a + b)
