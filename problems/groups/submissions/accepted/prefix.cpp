// @EXPECTED_SCORE@: 100
// Prefix digit sums mod 3: a substring is divisible by 3 iff its two prefix sums agree mod 3.
#include <cstdio>
#include <string>
#include <iostream>

int main() {
    std::ios::sync_with_stdio(false);
    int n;
    std::string s;
    std::cin >> n >> s;
    long long seen[3] = {1, 0, 0}, total = 0;
    int prefix = 0;
    for (char ch : s) {
        prefix = (prefix + (ch - '0')) % 3;
        total += seen[prefix]++;
    }
    std::printf("%lld\n", total);
}
