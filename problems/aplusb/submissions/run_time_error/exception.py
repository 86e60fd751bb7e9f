a, b = map(int, input().split())
print(a // (b - b))  # ZeroDivisionError: uncaught exception, exit code 1
