// @EXPECTED_SCORE@: 0
// Divisible by 9 instead of 3: wrong on the first test of every group.
#include <cstdio>
#include <iostream>
#include <string>

int main() {
    int n;
    std::string s;
    std::cin >> n >> s;
    long long seen[9] = {1}, total = 0;
    int prefix = 0;
    for (char ch : s) {
        prefix = (prefix + (ch - '0')) % 9;
        total += seen[prefix]++;
    }
    std::printf("%lld\n", total);
}
