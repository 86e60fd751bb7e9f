// @EXPECTED_RESULTS@: TIMELIMIT,WRONG_ANSWER
// 32-bit sum (wrong on 04-int32-overflow and later); busy-loops when both numbers are
// negative (02-negatives), so the first failure is a time limit; both are acceptable.
#include <iostream>

int main() {
    long long a, b;
    std::cin >> a >> b;
    volatile long long spin = 0;
    while (a < 0 && b < 0) spin = spin + 1;
    int s = (int)a + (int)b;
    std::cout << s << '\n';
}
