// Swaps the meaning of "lower" and "higher": walks away from the secret until out of guesses.
#include <iostream>
#include <string>

int main() {
    long long lo = 1, hi = 1000000000;
    std::string reply;
    while (true) {
        long long mid = lo + (hi - lo) / 2;
        if (lo > hi) mid = 1;  // stay in range once the interval is empty
        std::cout << mid << std::endl;
        if (!(std::cin >> reply) || reply == "correct") return 0;
        if (reply == "higher") hi = mid - 1;
        else lo = mid + 1;
    }
}
