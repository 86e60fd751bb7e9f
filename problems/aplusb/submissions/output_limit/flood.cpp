// Prints the answer, then endless lines: far beyond the 8 MiB output limit.
#include <cstdio>

int main() {
    long long a, b;
    if (std::scanf("%lld %lld", &a, &b) != 2) return 1;
    std::printf("%lld\n", a + b);
    for (;;) std::fputs("0123456789012345678901234567890123456789012345678901234567890123\n", stdout);
}
