// Hash map, left to right: the valid pair whose right element comes first.
#include <cstdio>
#include <unordered_map>

int main() {
    int n;
    long long t;
    if (std::scanf("%d %lld", &n, &t) != 2) return 1;
    std::unordered_map<long long, int> seen;
    seen.reserve(2 * n);
    for (int j = 1; j <= n; j++) {
        long long x;
        std::scanf("%lld", &x);
        auto it = seen.find(t - x);
        if (it != seen.end()) {
            std::printf("%d %d\n", it->second, j);
            return 0;
        }
        seen.emplace(x, j);
    }
    return 1;
}
