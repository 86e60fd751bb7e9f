// @EXPECTED_SCORE@: 50
// O(n^2): every (l, r) with a running digit sum. Groups 1 and 2 (50 points); times out in group 3.
#include <cstdio>
#include <iostream>
#include <string>

int main() {
    std::ios::sync_with_stdio(false);
    int n;
    std::string s;
    std::cin >> n >> s;
    long long total = 0;
    for (int l = 0; l < n; l++) {
        int sum = 0;
        for (int r = l; r < n; r++) {
            sum = (sum + s[r] - '0') % 3;
            total += (sum == 0);
        }
    }
    std::printf("%lld\n", total);
}
