# Keeps 16 MiB touched bytes objects alive until ~2 GiB (limit: 256 MiB).
blocks = []
for i in range(128):
    blocks.append(bytes([i % 251 + 1]) * (16 << 20))
print(sum(b[0] for b in blocks))
